from __future__ import annotations

from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "clearinghouse.participants"
    label = "participants"
    verbose_name = "Participants"
