"""Report figures remembered, so that a page does not recompute the world on every request.

A figure depends on three things, and its cache key holds all three:

* **what it is**: the report and its parameters (source, by, type, months, per_gdp, public);
* **who reads it**: the audience, i.e. everything that decides which records the reader may see.
  Records: `visibility_q` depends only on the reader's participant (its id, whether it is in the
  contact group, whether it is the recipient) unless the reader sees every marking; the public
  page is its own audience. Two readers share cached figures only when they see the same records;
  the tracker's tables are public data, read alike by everyone.
* **the data's version**: records figures are keyed by the audit chain's last sequence. Every write
  appends an event in the writing transaction (docs/access.md), so a write moves the version the
  moment it commits and the next read computes afresh (nothing is ever invalidated by hand, and
  a cached figure can never be older than its key). A tracker release never changes once imported:
  its figures are keyed by the release (id and digest) and by the version of the participants'
  reference data (names, kinds, groups label and group the figures), so a new or different
  release, or a change of a participant or group, is a new key.

Nothing is cached inside a transaction (a write's, which may roll back, or a test's): figures are
then computed. Values live in the Django cache (the database cache table, shared by every app process) and, in
front of it, a small per-process memory of the most recent ones; both hold pickled bytes, so a
caller may change what it gets without changing what others get.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection

from clearinghouse.core.models import AuditEvent
from clearinghouse.core.releasability import in_contact_group, sees_everything
from clearinghouse.participants.models import Participant
from clearinghouse.tracker.models import KielRelease

LOCAL_ENTRIES = 256
TIMEOUT = 24 * 60 * 60  # keys change with the data; entries only age out
PREFIX = "reports:v1:"

F = TypeVar("F", bound=Callable[..., dict[str, Any]])

_local: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()


def audience(user: Any, *, source: str, public: bool) -> str:
    """Who reads, as far as the figures can differ: readers with one audience see the same records."""
    if source == "tracker":
        return "tracker"
    if public:
        return "public"
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    if sees_everything(user):
        return "everything"
    return f"participant:{user.participant_id}:{int(in_contact_group(user))}:{int(user.is_recipient)}"


def records_version() -> str:
    """The audit chain's last event (sequence and hash): it moves with every committed write."""
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    return f"{last[0]}:{last[1]}" if last else "empty"


def tracker_version() -> str:
    """The current release (id and digest) and the last event of the participants' reference data."""
    release = KielRelease.objects.filter(is_current=True).values_list("pk", "digest").first()
    labels = [m._meta.label_lower for m in Participant._meta.app_config.get_models()]
    people = (
        AuditEvent.objects.filter(object_type__in=labels)
        .order_by("-sequence")
        .values_list("sequence", "hash")
        .first()
    )
    return f"release{release[0]}:{release[1]}:people{people}" if release else "no-release"


def key_for(name: str, user: Any, params: dict[str, Any]) -> str:
    """The cache key of one report for one reader at the data's current version."""
    source = params.get("source", "tracker")
    public = bool(params.get("public", False))
    version = tracker_version() if source == "tracker" else records_version()
    who = audience(user, source=source, public=public)
    what = repr(sorted(params.items()))
    digest = hashlib.sha256(f"{name}|{what}|{who}|{version}".encode()).hexdigest()
    return PREFIX + digest


def _get(key: str) -> bytes | None:
    with _lock:
        hit = _local.get(key)
        if hit is not None:
            _local.move_to_end(key)
            return hit
    shared = cache.get(key)
    if isinstance(shared, bytes):
        _remember(key, shared)
        return shared
    return None


def _remember(key: str, value: bytes) -> None:
    with _lock:
        _local[key] = value
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def cached(name: str, user: Any, params: dict[str, Any], compute: Callable[[], Any]) -> Any:
    """`compute()`, remembered under `name` and `params` for `user`'s audience at the data's version
    (figures of records read through the visibility rules, like the reports: the home page's)."""
    if connection.in_atomic_block:
        return compute()
    key = key_for(name, user, params)
    hit = _get(key)
    if hit is not None:
        return pickle.loads(hit)  # noqa: S301
    result = compute()
    value = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    _remember(key, value)
    cache.set(key, value, TIMEOUT)
    # A copy, like a hit: the figures may share parts with a remembered dataset (`remembered`).
    return pickle.loads(value)  # noqa: S301


def cached_report(fn: F) -> F:
    """Remember a report function's result per report, parameters, audience and data version."""

    @functools.wraps(fn)
    def wrapper(*, user: Any, **params: Any) -> dict[str, Any]:
        # Inside a transaction that may still roll back (a write's, or a test's), figures are
        # neither taken from nor kept in the cache (`cached`): they may count what never commits.
        return cached(fn.__name__, user, params, lambda: fn(user=user, **params))  # type: ignore[no-any-return]

    return wrapper  # type: ignore[return-value]


# The records' dataset (every visible pledge as contributions) behind the reports, kept as objects in
# this process for the few most recent audiences and versions: after a write, the dashboard's five
# reports miss the cache together and would each rebuild it (3 s at 50,000 pledges, issue 18). Few:
# a dataset of 50,000 pledges holds some 200,000 contributions (tens of MiB).
DATASETS = 3
_datasets: OrderedDict[str, Any] = OrderedDict()


def remembered(name: str, user: Any, params: dict[str, Any], compute: Callable[[], Any]) -> Any:
    """`compute()` kept in this process's memory (not pickled, not shared: the caller must not change
    it) under the same key as `cached` (the audience and the data's version); computed afresh inside
    a transaction."""
    if connection.in_atomic_block:
        return compute()
    key = key_for(name, user, params)
    with _lock:
        if key in _datasets:
            _datasets.move_to_end(key)
            return _datasets[key]
    value = compute()
    with _lock:
        _datasets[key] = value
        while len(_datasets) > DATASETS:
            _datasets.popitem(last=False)
    return value


def clear_local() -> None:
    """Forget this process's memory (the shared cache keeps its entries until they age out)."""
    with _lock:
        _local.clear()
        _datasets.clear()
