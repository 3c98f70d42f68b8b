"""Admin for clearing runs: read-only (runs are written by the clearing services)."""

from __future__ import annotations

from django.contrib import admin

from clearinghouse.clearing.models import ClearingRun, Proposal
from clearinghouse.participants.admin import ReadOnlyAdmin


@admin.register(ClearingRun)
class ClearingRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "name", "kind", "created_at", "created_by", "status", "objective")
    list_filter = ("kind", "status")


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ("pk", "run", "requirement", "pledge", "quantity", "state")
    list_filter = ("state",)
