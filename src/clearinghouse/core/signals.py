"""Signals of core, for apps above it to follow what happens without the writing app importing them.

`audit_recorded(event=AuditEvent, obj=model instance or None, actor=...)` is sent by `audit.record`
right after an event was appended, inside the writing service's transaction: a receiver's own
writes commit or roll back with the change (the inbox app turns some events into notifications).
Bulk appends (`audit.record_many`, spreadsheet imports) send nothing.
"""

from __future__ import annotations

from django.dispatch import Signal

audit_recorded = Signal()
