from __future__ import annotations

from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "clearinghouse.pledges"
    label = "pledges"
    verbose_name = "Pledges"
