"""`clearinghouse user create|deactivate|list|reset-password|reset-mfa`: accounts of any participant."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core import mfa
from clearinghouse.core.account_services import remove_mfa
from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.participants import services
from clearinghouse.participants.choices import Role
from clearinghouse.participants.models import User


class Command(ClearinghouseCommand):
    help = (
        "Create, deactivate or list accounts, change their role; reset a lost second factor. "
        "Every change is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        create = sub.add_parser("create", help="Create an account; its generated password is the last line.")
        create.add_argument("username")
        create.add_argument("--participant", required=True, metavar="ISO", help="Participant code, e.g. DEU.")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--email", default="")
        deactivate = sub.add_parser("deactivate", help="Deactivate an account; its sessions and tokens stop.")
        deactivate.add_argument("username")
        lst = sub.add_parser("list", help="List accounts.")
        lst.add_argument("--format", choices=["table", "json"], default="table")
        reset = sub.add_parser("reset-mfa", help="Remove a lost authenticator: the user enrols again.")
        reset.add_argument("username")
        password = sub.add_parser(
            "reset-password", help="Give an account a new generated password (the last line); sessions end."
        )
        password.add_argument("username")
        role = sub.add_parser("role", help="Give an account another role (it replaces the one it holds).")
        role.add_argument("username")
        role.add_argument("role", choices=Role.values)
        for p in (create, deactivate, reset, password, role):
            p.add_argument(
                "--as",
                dest="as_user",
                metavar="USERNAME",
                help="Admin account to act as (default: the system, with the OS account recorded).",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        sub = options["sub"]
        actor = self.acting_user(options) if options.get("as_user") else None
        if sub == "create":
            new = services.create_account(
                actor=actor,
                username=options["username"],
                participant=options["participant"],
                role=options["role"],
                email=options["email"],
            )
            note = " (sets up an authenticator at first sign-in)" if mfa.required_for(new.user) else ""
            self.stdout.write(
                f"Account {new.user.username} created for {new.user.participant.code} as "
                f"{new.user.get_role_display()}{note}. Password (shown once):"
            )
            self.stdout.write(new.password)
        elif sub == "deactivate":
            user = services.deactivate_user(actor=actor, username=options["username"])
            self.stdout.write(f"Account {user.username} deactivated; its sessions and tokens no longer work.")
        elif sub == "role":
            user = services.change_role(actor=actor, username=options["username"], role=options["role"])
            self.stdout.write(f"Account {user.username} is now {user.get_role_display()}.")
        elif sub == "reset-password":
            new = services.reset_password(actor=actor, username=options["username"])
            self.stdout.write(f"New password of {new.user.username} (shown once; its sessions ended):")
            self.stdout.write(new.password)
        elif sub == "reset-mfa":
            account = User.objects.filter(username=options["username"]).first()
            if account is None:
                raise CommandError(f"no account named {options['username']!r}")
            if actor is None:
                raise CommandError("reset-mfa needs an admin account: --as USERNAME")
            remove_mfa(actor=actor, user=account)
            self.stdout.write(
                f"Second factor of {account.username} removed; they enrol again at the next sign-in."
            )
        else:
            self._list(options["format"])

    def _list(self, fmt: str) -> None:
        rows = [
            {
                "username": u.username,
                "participant": u.participant.code,
                "role": u.role,
                "email": u.email,
                "is_active": u.is_active,
                "mfa": mfa.has_mfa(u),
                "last_login": u.last_login.isoformat() if u.last_login else None,
            }
            for u in User.objects.select_related("participant").order_by("username")
        ]
        if fmt == "json":
            self.stdout.write(json.dumps({"items": rows, "count": len(rows)}, indent=2))
            return
        for r in rows:
            state = "active" if r["is_active"] else "deactivated"
            self.stdout.write(f"{r['username']:<20} {r['participant']:<5} {r['role']:<18} {state}")
