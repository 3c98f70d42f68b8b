"""Domain errors raised by services and turned into HTTP statuses or CLI messages by the doors."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose; `status` is its HTTP status."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Missing, or invisible to the caller: the two must be indistinguishable."""

    status = 404

    def __init__(self, message: str = "Not found.", *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class PermissionDenied(DomainError):
    """The caller may see the object but not do this to it."""

    status = 403


class Conflict(DomainError):
    """The request clashes with the current state (illegal transition, over-allocation, ...)."""

    status = 409


class PreconditionFailed(DomainError):
    """An If-Match that no longer matches: somebody changed the record first."""

    status = 412


class InvalidInput(DomainError):
    """Input that is well-formed but wrong; `field` names the path."""

    status = 422


class RowErrors(DomainError):
    """A bulk write refused: every refused row, by its index in the batch; nothing was written."""

    status = 422

    def __init__(self, errors: list[tuple[int, DomainError]]) -> None:
        first = errors[0][1]
        super().__init__(f"{len(errors)} rows refused; the first: {first.message}", field=first.field)
        self.errors = errors
