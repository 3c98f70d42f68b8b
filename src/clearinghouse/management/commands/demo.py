"""`clearinghouse demo`: load the demo data (idempotent) and print the demo accounts."""

from __future__ import annotations

from typing import Any

from clearinghouse import demo
from clearinghouse.core.commands import ClearinghouseCommand


class Command(ClearinghouseCommand):
    help = "Load the demo data (a second run duplicates nothing) and print the demo accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo.run()
        self.stdout.write(
            "Demo accounts (username / password — participant, role — authenticator secret for the roles "
            "that sign in with a second factor: add it to a TOTP app):"
        )
        for username, participant, role, password, secret in accounts:
            line = f"  {username:<12} {password:<28} {participant:<5} {role:<18} {secret or '-'}"
            self.stdout.write(line.rstrip())
