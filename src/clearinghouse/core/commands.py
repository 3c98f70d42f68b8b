"""Base class of CLI commands: `--as USERNAME`, a request id, and one readable error line."""

from __future__ import annotations

import getpass
import socket
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from clearinghouse.core.context import request_context, set_via
from clearinghouse.core.errors import DomainError


class ClearinghouseCommand(BaseCommand):
    """A command whose domain errors become one line on stderr and a non-zero exit."""

    writes = False  # commands that write require --as USERNAME
    # No system checks before a domain command: they import every URL and API module (seconds of a
    # short command's start-up; `clearinghouse check`, `migrate` and the test suite still run them).
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django's own attribute, read-only

    def add_arguments(self, parser: CommandParser) -> None:
        if self.writes:
            parser.add_argument(
                "--as", dest="as_user", metavar="USERNAME", required=True, help="Account to act as (audited)."
            )

    def acting_user(self, options: dict[str, Any]) -> Any:
        """The account named by --as, active, with its participant loaded."""
        username = options.get("as_user")
        if not username:
            raise CommandError("this command writes: name the account to act as with --as USERNAME")
        user = get_user_model().objects.select_related("participant").filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f"no active account named {username!r}")
        self.mark_acting_as()
        return user

    @staticmethod
    def mark_acting_as() -> None:
        """Mark what follows as done with `--as`: whoever runs the CLI asserts the account, unverified."""
        set_via("cli-as")

    def execute(self, *args: Any, **options: Any) -> Any:
        with request_context(via="cli", origin=_operator()):
            try:
                return super().execute(*args, **options)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            except OSError as exc:  # a file named on the command line: missing, unreadable, unwritable
                where = f"{exc.filename}: " if exc.filename else ""
                raise CommandError(f"{where}{exc.strerror or exc}") from exc
            except DatabaseError as exc:
                if "no such table" in str(exc) or "does not exist" in str(exc):
                    raise CommandError(
                        "the database is not set up (or not this version's): run `clearinghouse migrate`"
                    ) from exc
                raise


def _operator() -> str:
    """Who runs the command on which machine, for the audit chain (the OS account, not an app account)."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return f"{who}@{socket.gethostname()}"
