"""Housekeeping: what would otherwise pile up for ever, cleared on a schedule.

* expired browser sessions (Django's session table) and the sign-in records (`UserSession`) of
  sessions that no longer exist;
* idempotency records older than `CLEARINGHOUSE_IDEMPOTENCY_RETENTION_DAYS` (a client retries a
  create within minutes, not weeks);
* expired entries of the database cache table (`core_cache`; Django culls it only when full);
* clearing runs past `CLEARINGHOUSE_RUN_RETENTION_DAYS` under the retention rule of
  `clearing.services.prunable_runs` (adopted runs, baselines of other runs and the newest
  `CLEARINGHOUSE_RUN_KEEP_LATEST` are kept; each removal is audited);
* finished background jobs older than `CLEARINGHOUSE_JOB_RETENTION_DAYS`.

Each step is its own short transaction (a few hundred rows at most at a time), so housekeeping never
holds the database for long. Run it with `clearinghouse housekeeping` from cron, or let the
`clearinghouse worker` run it every `CLEARINGHOUSE_HOUSEKEEPING_SECONDS` (`core.jobs.periodic`);
see docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction

from clearinghouse.clearing import services as clearing_services
from clearinghouse.core import clock
from clearinghouse.core.models import IdempotencyRecord, Job, UserSession

log = logging.getLogger("clearinghouse.housekeeping")
CHUNK = 500


@dataclass
class Outcome:
    """What one housekeeping pass removed, by kind (`runs_removed` lists the clearing runs' ids)."""

    counts: dict[str, int] = field(default_factory=dict)
    runs_removed: list[int] = field(default_factory=list)

    def line(self) -> str:
        return ", ".join(f"{n} {what}" for what, n in self.counts.items())


def _days(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _delete_in_chunks(qs: Any) -> int:
    """Delete the rows of a queryset by primary key in short transactions of CHUNK rows."""
    total = 0
    while True:
        pks = list(qs.values_list("pk", flat=True)[:CHUNK])
        if not pks:
            return total
        with transaction.atomic():
            qs.model.objects.filter(pk__in=pks).delete()
        total += len(pks)


def expired_cache_entries(now: dt.datetime) -> int:
    """Delete the expired entries of every database cache table (Django culls only when full)."""
    removed = 0
    for alias in settings.CACHES.values():
        if alias["BACKEND"] != "django.core.cache.backends.db.DatabaseCache":
            continue
        table = connection.ops.quote_name(alias["LOCATION"])
        with transaction.atomic(), connection.cursor() as cur:
            value = now if settings.USE_TZ else now.replace(tzinfo=None)
            cur.execute(f"DELETE FROM {table} WHERE expires < %s", [value])  # noqa: S608 (our table name)
            removed += max(cur.rowcount, 0)
    return removed


def run(*, now: dt.datetime | None = None) -> Outcome:
    """One housekeeping pass (see the module's doc); what it removed."""
    now = now or clock.now()
    out = Outcome()
    out.counts["expired sessions"] = _delete_in_chunks(Session.objects.filter(expire_date__lt=now))
    out.counts["sign-in records of ended sessions"] = _delete_in_chunks(
        UserSession.objects.exclude(session_key__in=Session.objects.values("session_key"))
    )
    idem_days = _days("IDEMPOTENCY_RETENTION_DAYS", 7)
    out.counts["idempotency records"] = _delete_in_chunks(
        IdempotencyRecord.objects.filter(created_at__lt=now - dt.timedelta(days=idem_days))
    )
    out.counts["expired cache entries"] = expired_cache_entries(now)
    out.runs_removed = clearing_services.prune_runs(
        actor=None,
        now=now,
        days=_days("RUN_RETENTION_DAYS", clearing_services.RUN_RETENTION_DAYS),
        keep_latest=_days("RUN_KEEP_LATEST", clearing_services.RUN_KEEP_LATEST),
    )
    out.counts["clearing runs"] = len(out.runs_removed)
    job_days = _days("JOB_RETENTION_DAYS", 30)
    out.counts["finished jobs"] = _delete_in_chunks(
        Job.objects.filter(finished_at__lt=now - dt.timedelta(days=job_days))
    )
    log.info("housekeeping: removed %s", out.line())
    return out
