from __future__ import annotations

from django.apps import AppConfig


class TrackerConfig(AppConfig):
    """The Kiel Institute's Ukraine Support Tracker as a data source of the reports.

    The app was called `ingest` until the spreadsheets of requirements and pledges moved beside
    them: its label stays "ingest" so that existing databases keep their tables (`ingest_kielrelease`
    …), migration history, content types and audit object types (docs/decisions/0006).
    """

    name = "clearinghouse.tracker"
    label = "ingest"
    verbose_name = "Kiel tracker"
