"""`clearinghouse demo`: load the demo data (idempotent) and print the demo accounts."""

from __future__ import annotations

from typing import Any

from clearinghouse import demo
from clearinghouse.core.commands import ClearinghouseCommand


class Command(ClearinghouseCommand):
    help = "Load the demo data (a second run duplicates nothing) and print the demo accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo.run()
        self.stdout.write("Demo accounts (username / password — participant, role):")
        for username, participant, role, password in accounts:
            self.stdout.write(f"  {username:<12} {password:<28} {participant:<5} {role}")
