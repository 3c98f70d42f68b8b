from __future__ import annotations

from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "clearinghouse.ingest"
    label = "ingest"
    verbose_name = "Ingest"
