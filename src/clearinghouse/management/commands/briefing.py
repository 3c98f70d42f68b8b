"""`clearinghouse briefing MEETING_ID --output FILE.pdf [--as USERNAME]`: a meeting's briefing pack.

Made for a reader: `--as USERNAME` (what that account may see), else the public (public records only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import CommandParser

from clearinghouse import briefing
from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.errors import NotFound
from clearinghouse.governance import selectors
from clearinghouse.governance.models import Meeting


class Command(ClearinghouseCommand):
    help = "Write a meeting's briefing pack (PDF) for a reader: --as USERNAME, or the public."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("meeting_id", type=int)
        parser.add_argument("--output", required=True, help="The PDF file to write.")
        parser.add_argument(
            "--as", dest="as_user", metavar="USERNAME", default=None, help="Make the pack for this account."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reader: Any = self.acting_user(options) if options["as_user"] else AnonymousUser()
        if reader.is_authenticated:
            meeting = selectors.get_meeting(user=reader, meeting_id=options["meeting_id"])
        else:  # the operator's console making the public pack: the meeting itself is not secret
            found = Meeting.objects.select_related("body").filter(pk=options["meeting_id"]).first()
            if found is None:
                raise NotFound(f"Meeting {options['meeting_id']} not found.")
            meeting = found
        data = briefing.since_previous(meeting, reader)
        path = Path(options["output"])
        path.write_bytes(briefing.pdf(data, reader))
        self.stdout.write(f"Wrote {path} ({path.stat().st_size} bytes), marked {data.marking_label}.")
