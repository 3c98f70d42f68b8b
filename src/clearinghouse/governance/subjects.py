"""What a decision decides in apps above governance, registered by those apps (governance imports
none of them): a `requirements` decision endorses a list of requirements once adopted.

The requirements app registers its handler in `RequirementsConfig.ready`; governance calls it when a
decision is proposed (to check the list for the proposer), closed `adopted` (to endorse) and shown
(to list the requirements as the reader may see them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput

if TYPE_CHECKING:
    from clearinghouse.governance.models import Decision


@dataclass(frozen=True)
class RequirementsHandler:
    #: The requirement ids, cleaned (422 `requirements` naming an unknown or cancelled one).
    check: Callable[[Actor, list[Any]], list[int]]
    #: Endorse the decision's requirements (the decision is adopted); returns how many changed.
    endorse: Callable[[Actor, Decision], int]
    #: The decision's requirements the reader may see: [{"id", "label", "endorsed"}].
    describe: Callable[[Actor, Decision], list[dict[str, Any]]]


_handlers: dict[str, RequirementsHandler] = {}


def register_requirements(handler: RequirementsHandler) -> None:
    _handlers["requirements"] = handler


def requirements() -> RequirementsHandler:
    handler = _handlers.get("requirements")
    if handler is None:  # the requirements app is not installed
        raise InvalidInput(
            "requirements: this installation has no requirements to endorse", field="requirements"
        )
    return handler
