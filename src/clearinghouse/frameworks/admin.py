"""Admin for the frameworks app: read-only (every write goes through the services and the audit)."""

from __future__ import annotations

from django.contrib import admin

from clearinghouse.frameworks.models import Framework
from clearinghouse.funds.admin import ReadOnlyAdmin


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyAdmin):
    list_display = ("slug", "title", "start", "end", "target_amount", "currency", "group", "burden_key")
