"""Admin for participants (read-only: reference data is loaded by a service) and accounts."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clearinghouse.participants.models import CoordinationMandate, Participant, ParticipantGroup, User


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    """Writes go through services (audited); the admin only shows."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "alliance_accession_year", "in_contact_group")
    list_filter = ("kind", "in_contact_group")
    search_fields = ("code", "name")


@admin.register(ParticipantGroup)
class ParticipantGroupAdmin(ReadOnlyAdmin):
    list_display = ("code", "name")


@admin.register(CoordinationMandate)
class CoordinationMandateAdmin(ReadOnlyAdmin):
    list_display = ("participant", "start", "end")


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "participant", "role", "is_active", "last_login")
    list_filter = ("role", "participant__kind", "is_active")
    search_fields = ("username", "email")
    exclude = ("password",)
