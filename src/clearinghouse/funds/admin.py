"""Admin for the funds app: read-only views; every write goes through the services (and the audit)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clearinghouse.funds.models import (
    BurdenKey,
    BurdenKeyVersion,
    BurdenKeyWeight,
    Contribution,
    Fund,
    FundOptOut,
    FundYear,
    GdpFigure,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    """Browse only: an admin edit would bypass the service, its checks and the audit chain."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FundYearInline(admin.TabularInline):  # type: ignore[type-arg]  # not subscriptable at run time
    model = FundYear
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Fund)
class FundAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name", "target_amount", "currency", "first_year", "years", "group", "burden_key")
    inlines = [FundYearInline]


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "fund",
        "owner",
        "kind",
        "year",
        "amount",
        "currency",
        "converted_amount",
        "fx_date",
    )
    list_filter = ("fund", "kind", "year", "releasability")
    search_fields = ("owner__code", "reference")


@admin.register(BurdenKey)
class BurdenKeyAdmin(ReadOnlyAdmin):
    list_display = ("code", "name")


@admin.register(BurdenKeyVersion)
class BurdenKeyVersionAdmin(ReadOnlyAdmin):
    list_display = ("key", "effective_year", "kind", "gdp_year", "source")


@admin.register(BurdenKeyWeight)
class BurdenKeyWeightAdmin(ReadOnlyAdmin):
    list_display = ("version", "participant", "weight", "source")
    list_filter = ("version",)


@admin.register(FundOptOut)
class FundOptOutAdmin(ReadOnlyAdmin):
    list_display = ("fund", "participant", "reason", "created_at")


@admin.register(GdpFigure)
class GdpFigureAdmin(ReadOnlyAdmin):
    list_display = ("participant", "year", "gdp_eur_bn", "source")
    list_filter = ("year",)
