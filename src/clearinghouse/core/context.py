"""Per-request (or per-command) context: the request id, the door and the origin that audit events carry."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Door:
    """How an action reached the services: `via` is page, api, cli or cli-as; `origin` the client."""

    via: str = ""
    origin: str = ""


_request_id: ContextVar[str] = ContextVar("clearinghouse_request_id", default="")
_NO_DOOR = Door()
_door: ContextVar[Door] = ContextVar("clearinghouse_door", default=_NO_DOOR)


def new_request_id() -> str:
    """A fresh id for a request or a command run."""
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request or command being served, or a new one outside any."""
    rid = _request_id.get()
    return rid or new_request_id()


def current_request_id_or_none() -> str | None:
    """The bound request id, if a request or command is being served."""
    return _request_id.get() or None


def current_door() -> Door:
    """The door of the request or command being served (empty outside any)."""
    return _door.get()


def set_via(via: str) -> None:
    """Change how the current action is marked, e.g. `cli-as` once a command acts as an account."""
    _door.set(Door(via=via, origin=_door.get().origin))


@contextmanager
def request_context(request_id: str | None = None, *, via: str = "", origin: str = "") -> Iterator[str]:
    """Bind a request id (always generated here: never the client's) and the door for a request or command."""
    rid = request_id or new_request_id()
    token = _request_id.set(rid)
    door_token = _door.set(Door(via=via, origin=origin[:100]))
    try:
        yield rid
    finally:
        _door.reset(door_token)
        _request_id.reset(token)
