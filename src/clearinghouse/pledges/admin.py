"""Admin for pledges, allocations and deliveries: read-only (writes go through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clearinghouse.participants.admin import ReadOnlyAdmin
from clearinghouse.pledges.models import Allocation, Delivery, Pledge, PledgeTranche


class TrancheInline(admin.TabularInline):  # type: ignore[type-arg]  # not subscriptable at run time
    model = PledgeTranche
    extra = 0
    can_delete = False
    readonly_fields = ("year", "amount")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "owner",
        "external_ref",
        "kind",
        "status",
        "item_type",
        "quantity",
        "value_amount",
        "currency",
        "value_eur",
        "available_from",
        "releasability",
    )
    list_filter = ("status", "kind", "releasability", "currency")
    search_fields = ("external_ref", "owner__code", "notes")
    inlines = [TrancheInline]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("id", "pledge", "requirement", "quantity", "delivered_quantity", "source", "created_at")
    list_filter = ("source",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "allocation", "quantity", "delivered_on", "confirmed_at", "confirmed_by")
    list_filter = ("delivered_on",)
