"""Admin for logistics: read-only (every write goes through the services and the audit)."""

from __future__ import annotations

from django.contrib import admin

from clearinghouse.logistics.models import EndUseCheck, Shipment, ShipmentEvent, Site
from clearinghouse.participants.admin import ReadOnlyAdmin


@admin.register(Site)
class SiteAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "country", "owner", "releasability")


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "allocation",
        "quantity",
        "from_site",
        "to_site",
        "state",
        "expected_on",
        "discrepancy",
    )
    list_filter = ("state",)


@admin.register(ShipmentEvent)
class ShipmentEventAdmin(ReadOnlyAdmin):
    list_display = ("shipment", "state", "at", "site", "source")


@admin.register(EndUseCheck)
class EndUseCheckAdmin(ReadOnlyAdmin):
    list_display = ("delivery", "checked_on", "units_verified")
