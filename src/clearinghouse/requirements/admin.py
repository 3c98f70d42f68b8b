"""Admin for requirements: read-only (writes go through the services, which audit them)."""

from __future__ import annotations

from django.contrib import admin

from clearinghouse.participants.admin import ReadOnlyAdmin
from clearinghouse.requirements.models import Requirement


@admin.register(Requirement)
class RequirementAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "external_ref",
        "capability",
        "quantity",
        "unit",
        "priority",
        "needed_by",
        "allocated_quantity",
        "delivered_quantity",
        "cancelled",
        "releasability",
    )
    list_filter = ("priority", "capability", "cancelled", "releasability")
    search_fields = ("external_ref", "notes")
