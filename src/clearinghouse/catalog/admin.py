"""Admin for the catalog: read-only (the catalog is shipped data, loaded by `load_catalog`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clearinghouse.catalog.models import CapabilityArea, ItemPrice, ItemType
from clearinghouse.participants.admin import ReadOnlyAdmin


@admin.register(CapabilityArea)
class CapabilityAreaAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "sort_order")


class ItemPriceInline(admin.TabularInline):  # type: ignore[type-arg]  # not subscriptable at run time
    model = ItemPrice
    extra = 0
    can_delete = False
    readonly_fields = ("unit_value", "currency", "source", "valid_from")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ItemType)
class ItemTypeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "capability", "unit", "family")
    list_filter = ("capability",)
    search_fields = ("code", "name", "family")
    inlines = [ItemPriceInline]


@admin.register(ItemPrice)
class ItemPriceAdmin(ReadOnlyAdmin):
    list_display = ("item_type", "unit_value", "currency", "valid_from", "source")
    list_filter = ("currency",)
