"""Per-request (or per-command) context: the request id that audit events carry."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("clearinghouse_request_id", default="")


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


@contextmanager
def request_context(request_id: str | None = None) -> Iterator[str]:
    """Bind a request id for the duration of a request or a CLI command."""
    rid = request_id or new_request_id()
    token = _request_id.set(rid)
    try:
        yield rid
    finally:
        _request_id.reset(token)
