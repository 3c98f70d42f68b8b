"""`clearinghouse token create|list|revoke`: personal API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from clearinghouse.core import selectors, services
from clearinghouse.core.commands import ClearinghouseCommand


class Command(ClearinghouseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        create = sub.add_parser(
            "create", help="Create a token for USERNAME; the token is the last line printed."
        )
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        create.add_argument(
            "--as", dest="as_user", metavar="USERNAME", help="Acting account (default: USERNAME)."
        )
        lst = sub.add_parser("list", help="List a user's tokens.")
        lst.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by id.")
        revoke.add_argument("token_id", type=int)
        revoke.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.select_related("participant").filter(username=username).first()
        if user is None:
            raise CommandError(f"no account named {username!r}")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        sub = options["sub"]
        if sub == "create":
            user = self._user(options["username"])
            actor = self._user(options["as_user"]) if options.get("as_user") else user
            # Either way the operator asserts an account the CLI did not authenticate: mark it.
            self.mark_acting_as()
            new = services.create_token(actor=actor, user=user, name=options["name"])
            self.stdout.write(
                f"Token {new.token.pk} for {user.username} (shown once; send as 'Authorization: Bearer'):"
            )
            self.stdout.write(new.raw)
        elif sub == "list":
            user = self._user(options["username"])
            for t in selectors.token_list(user=user):
                state = "revoked" if t.revoked_at else "active"
                self.stdout.write(f"{t.pk}\t{t.prefix}…\t{t.name}\t{t.created_at:%Y-%m-%d %H:%M}\t{state}")
        else:
            actor = self.acting_user(options)
            token = services.revoke_token(actor=actor, token_id=options["token_id"])
            self.stdout.write(f"Token {token.pk} revoked.")
