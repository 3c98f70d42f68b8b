from __future__ import annotations

from django.apps import AppConfig


class RequirementsConfig(AppConfig):
    name = "clearinghouse.requirements"
    label = "requirements"
    verbose_name = "Requirements"

    def ready(self) -> None:
        # A body's `requirements` decision endorses requirements once adopted (governance calls this).
        from clearinghouse.governance import subjects
        from clearinghouse.requirements import services

        subjects.register_requirements(
            subjects.RequirementsHandler(
                check=services.check_endorsement_list,
                endorse=services.endorse_by_decision,
                describe=services.describe_endorsement,
            )
        )
