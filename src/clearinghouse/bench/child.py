"""The benchmarks' child processes (`python -m clearinghouse.bench.child setup|import ...`): each
runs on the database its environment names and prints one JSON line of what it measured."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

PASSWORD = "bench-password-not-secret"
ACCOUNTS = {
    "admin": ("NATO", "admin"),
    "coordinator": ("NATO", "coordinator"),
    "recipient": ("UKR", "recipient_officer"),
    "analyst": ("NATO", "analyst"),
    "auditor": ("NATO", "auditor"),
}


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def setup(pledges: int, requirements: int, workdir: Path, *, kiel: bool = False) -> dict[str, Any]:
    """A migrated database with the reference data, the catalog, one account per role used, and
    `pledges` / `requirements` records imported through the bulk import."""
    from django.core.management import call_command

    from clearinghouse.bench.common import DONORS, REQUIREMENT_COLUMNS, requirement_rows, write_csv
    from clearinghouse.catalog.services import load_catalog
    from clearinghouse.participants.models import User
    from clearinghouse.participants.services import create_user, load_reference_data

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    load_reference_data()
    load_catalog()
    accounts = dict(ACCOUNTS)
    accounts.update({f"donor-{code.lower()}": (code, "donor_officer") for code in DONORS})
    for name, (participant, role) in accounts.items():
        if not User.objects.filter(username=name).exists():
            user = create_user(actor=None, username=name, participant=participant, role=role, password=None)
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
    start = time.perf_counter()
    if kiel:
        from clearinghouse import tracker
        from clearinghouse.tracker.services import import_kiel_release

        shipped = Path(tracker.__file__).parent / "data" / "kiel-r29"
        import_kiel_release(actor=User.objects.get(username="admin"), directory=shipped)
    if requirements:
        path = write_csv(workdir / "requirements.csv", REQUIREMENT_COLUMNS, requirement_rows(requirements))
        _import("requirements", path, "recipient")
    if pledges:
        per = -(-pledges // len(DONORS))
        for n, code in enumerate(DONORS):
            count = min(per, pledges - n * per)
            if count > 0:
                path = _pledge_file(workdir / f"pledges-{code}.csv", count, start=n * per, donors=(code,))
                _import("pledges", path, f"donor-{code.lower()}")
    return {"seconds": time.perf_counter() - start}


def _pledge_file(path: Path, count: int, *, start: int = 0, donors: tuple[str, ...] = ("USA",)) -> Path:
    from clearinghouse.bench.common import PLEDGE_COLUMNS, pledge_rows, write_csv

    return write_csv(path, PLEDGE_COLUMNS, pledge_rows(count, start=start, donors=donors))


def _import(kind: str, path: Path, username: str) -> Any:
    from clearinghouse import spreadsheets
    from clearinghouse.core.context import request_context
    from clearinghouse.participants.models import User

    actor = User.objects.get(username=username)
    with request_context(via="cli", origin="bench"):
        return spreadsheets.import_file(actor=actor, path=path, kind=kind)


def import_rows(rows: int, workdir: Path) -> dict[str, Any]:
    """Time one import of `rows` new pledge rows (file written beforehand) and check the chain."""
    from clearinghouse.core import audit
    from clearinghouse.core.models import AuditEvent
    from clearinghouse.pledges.models import Pledge

    path = _pledge_file(workdir / f"pledges-{rows}.csv", rows, start=10_000_000)
    before_events = AuditEvent.objects.count()
    before_pledges = Pledge.objects.count()
    rss_before = _rss_kib()
    start, cpu = time.perf_counter(), time.process_time()
    summary = _import("pledges", path, "donor-usa")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _peak_kib()
    events = AuditEvent.objects.count() - before_events
    created = Pledge.objects.count() - before_pledges
    verify_start = time.perf_counter()
    result = audit.verify()
    return {
        "rows": rows,
        "created": summary.created,
        "pledges_added": created,
        "events_added": events,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rows_per_s": rows / seconds,
        "rss_before_mib": rss_before / 1024,
        "peak_mib": peak / 1024,
        "verify_ok": result.ok,
        "verify_reason": result.reason,
        "verify_seconds": time.perf_counter() - verify_start,
    }


def credentials(username: str) -> dict[str, Any]:
    """A session cookie (pages) and an API token (API) for `username`."""
    from django.conf import settings
    from django.test import Client

    from clearinghouse.core.services import create_token
    from clearinghouse.participants.models import User

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    token = create_token(actor=user, user=user, name="bench")
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
        "token": token.raw,
    }


CPU: dict[str, float] = {}  # the CPU milliseconds of this process behind each figure (medians)


def _median_ms(get: Any, path: str, times: int, **headers: str) -> float:
    """The median wall milliseconds of `times` requests; their median CPU milliseconds go to `CPU`
    under the path (on a busy machine the wall time is mostly waiting for a core)."""
    import statistics

    walls, cpus = [], []
    for _ in range(times):
        start, cpu = time.perf_counter(), time.process_time()
        answer = get(path, **headers)
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path}: {answer.status_code}")
    CPU[path] = statistics.median(cpus)
    return statistics.median(walls)


LIST_ROUTES = (
    ("pledges page", "/pledges/"),
    ("api pledges", "/api/v1/pledges?limit=100"),
    ("api pledges offset=49000", "/api/v1/pledges?limit=100&offset=49000"),
    ("api requirements", "/api/v1/requirements?limit=100"),
)


def figures(repeat: int) -> dict[str, Any]:
    """Issue 18's figures measured in this process through the whole Django stack (`bench db`)."""
    from django.test import Client

    from clearinghouse.core.services import create_token
    from clearinghouse.participants.models import User

    out: dict[str, Any] = {}
    get: Any
    users = {"analyst": User.objects.get(username="analyst"), "donor": User.objects.get(username="donor-deu")}
    client = Client()
    client.force_login(users["analyst"])
    try:  # as `clearinghouse.wsgi` does when a server process starts (issue 18, 8)
        from clearinghouse.core.warmup import warm_up

        out["start-up warm-up"] = warm_up()
    except ImportError:  # a tree before the warm-up: the first request loads everything
        out["start-up warm-up"] = "none"
    start, cpu = time.perf_counter(), time.process_time()
    client.get("/pledges/")
    out["first request of a process"] = (time.perf_counter() - start) * 1000
    out["cpu:first request of a process"] = (time.process_time() - cpu) * 1000
    times = max(3, repeat * 10)
    for who, user in users.items():
        client = Client()
        client.force_login(user)
        token = create_token(actor=user, user=user, name="bench db").raw
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        for label, path in LIST_ROUTES:
            headers = auth if path.startswith("/api/") else {}
            get = client.get
            get(path, **headers)  # warm
            out[f"{label} [{who}]"] = _median_ms(client.get, path, times, **headers)
            out[f"cpu:{label} [{who}]"] = CPU[path]
        deep = get("/api/v1/pledges?limit=100&offset=49000", **auth).json()
        cursor = _deep_cursor(client, auth)
        if cursor:
            out[f"api pledges by cursor, deep [{who}]"] = _median_ms(client.get, cursor, times, **auth)
            out[f"cpu:api pledges by cursor, deep [{who}]"] = CPU[cursor]
        out[f"count [{who}]"] = deep.get("count")
    out.update(_dashboard(users["analyst"], times))
    out.update(_import_round_trips())
    return out


def _deep_cursor(client: Any, auth: dict[str, str]) -> str | None:
    """A deep page by cursor: after the last id of the page at offset 48,900."""
    page = client.get("/api/v1/pledges?limit=100&offset=48900", **auth).json()
    items = page.get("items") or []
    return f"/api/v1/pledges?limit=100&cursor={items[-1]['id']}" if items else None


def _dashboard(user: Any, times: int) -> dict[str, Any]:
    """The records dashboard just after a write (computed afresh) and then from the cache."""
    import statistics

    from django.test import Client

    from clearinghouse.pledges import services as pledge_services
    from clearinghouse.pledges.models import Pledge

    client = Client()
    client.force_login(user)
    path = "/reports/?source=records"
    client.get(path)
    donor = Pledge.objects.filter(owner__code="DEU").select_related("owner").order_by("pk").first()
    after: list[float] = []
    after_cpu: list[float] = []
    if donor is not None:
        from clearinghouse.participants.models import User

        officer = User.objects.get(username="donor-deu")
        for n in range(max(1, times // 10)):
            pledge_services.update_pledge(
                actor=officer, pledge_id=donor.pk, changes={"notes": f"bench db write {time.time()} {n}"}
            )
            after.append(_median_ms(client.get, path, 1))
            after_cpu.append(CPU[path])
    cached = _median_ms(client.get, path, times)
    return {
        "dashboard records, after a write": statistics.median(after) if after else float("nan"),
        "cpu:dashboard records, after a write": statistics.median(after_cpu) if after_cpu else float("nan"),
        "dashboard records, cached": cached,
        "cpu:dashboard records, cached": CPU[path],
    }


def _import_round_trips() -> dict[str, Any]:
    """Queries of one import of 100 and of 1,000 new pledge rows (undone afterwards)."""
    import tempfile

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    out: dict[str, Any] = {}

    class Undo(Exception):
        pass

    with tempfile.TemporaryDirectory() as tmp:
        for rows in (100, 1000):
            path = _pledge_file(Path(tmp) / f"rt-{rows}.csv", rows, start=30_000_000 + rows)
            try:
                with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                    _import("pledges", path, "donor-usa")
                    raise Undo
            except Undo:
                pass
            out[f"import round trips [{rows} rows]"] = len(queries)
    return out


def state() -> dict[str, Any]:
    """What an interrupted import must leave unchanged: counts, the chain's end, and its check."""
    from clearinghouse.core import audit
    from clearinghouse.core.models import AuditEvent
    from clearinghouse.pledges.models import Pledge, PledgeTranche

    last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    result = audit.verify()
    return {
        "pledges": Pledge.objects.count(),
        "tranches": PledgeTranche.objects.count(),
        "events": AuditEvent.objects.count(),
        "last": last,
        "verify_ok": result.ok,
        "verify_reason": result.reason,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m clearinghouse.bench.child")
    sub = parser.add_subparsers(dest="step", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--pledges", type=int, default=0)
    s.add_argument("--requirements", type=int, default=0)
    s.add_argument("--workdir", type=Path, required=True)
    s.add_argument("--kiel", action="store_true", help="import the shipped Kiel release too")
    c = sub.add_parser("credentials")
    c.add_argument("--user", required=True)
    i = sub.add_parser("import")
    i.add_argument("--rows", type=int, required=True)
    i.add_argument("--workdir", type=Path, required=True)
    f = sub.add_parser("file")
    f.add_argument("--rows", type=int, required=True)
    f.add_argument("--out", type=Path, required=True)
    sub.add_parser("state")
    a = sub.add_parser("audit")
    a.add_argument("--mode", choices=("immediate", "deferred"), required=True)
    a.add_argument("--writers", type=int, default=4)
    a.add_argument("--writes", type=int, default=50)
    a.add_argument("--import-rows", type=int, default=5000)
    a.add_argument("--workdir", type=Path, required=True)
    g = sub.add_parser("figures")
    g.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    import django

    django.setup()
    if args.step == "setup":
        out = setup(args.pledges, args.requirements, args.workdir, kiel=args.kiel)
    elif args.step == "credentials":
        out = credentials(args.user)
    elif args.step == "file":
        out = {"path": str(_pledge_file(args.out, args.rows))}
    elif args.step == "state":
        out = state()
    elif args.step == "audit":
        from clearinghouse.bench.audit import measure

        out = measure(
            mode=args.mode,
            writers=args.writers,
            writes=args.writes,
            import_rows=args.import_rows,
            workdir=args.workdir,
        )
    elif args.step == "figures":
        out = figures(args.repeat)
    else:
        out = import_rows(args.rows, args.workdir)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
