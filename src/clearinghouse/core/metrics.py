"""Prometheus metrics: request latency by route, job durations and failures, clearing solve time and
the audit chain's length, served at `/metrics` to the networks `CLEARINGHOUSE_METRICS_ALLOWED` lists.

Under `clearinghouse serve` (several gunicorn worker processes) the counters live in
`PROMETHEUS_MULTIPROC_DIR`, which `serve` sets to a fresh directory before any worker starts, so a
scrape sees every worker's figures, not only the one that answered. Other modules record through the
small functions here (`observe_request`, `observe_job`, `observe_solve`), never through
prometheus_client directly.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

# Buckets in seconds, from a cached page to a slow report.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)

REQUEST_LATENCY = Histogram(
    "clearinghouse_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name, method and status class.",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
JOB_DURATION = Histogram(
    "clearinghouse_job_duration_seconds",
    "Time a background job ran, by kind and outcome.",
    ["kind", "outcome"],
    buckets=_JOB_BUCKETS,
)
JOB_FAILURES = Counter("clearinghouse_job_failures_total", "Background jobs that failed, by kind.", ["kind"])
SOLVE_TIME = Histogram(
    "clearinghouse_clearing_solve_seconds",
    "Time the matching engine took to solve a clearing run or scenario.",
    buckets=_LATENCY_BUCKETS,
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Record one answered request (`route` is the URL pattern's name, never the raw path)."""
    REQUEST_LATENCY.labels(route=route, method=method, status=f"{status // 100}xx").observe(seconds)


def observe_job(kind: str, seconds: float, ok: bool) -> None:
    """Record one finished background job; a failure also counts in `clearinghouse_job_failures_total`."""
    JOB_DURATION.labels(kind=kind, outcome="succeeded" if ok else "failed").observe(seconds)
    if not ok:
        JOB_FAILURES.labels(kind=kind).inc()


def observe_solve(seconds: float) -> None:
    """Record the matching engine's solve time for one clearing run or scenario."""
    SOLVE_TIME.observe(seconds)


class AuditChainCollector(Collector):
    """The audit chain's length, read from the database at scrape time (the same for every worker)."""

    def collect(self) -> Iterator[Metric]:
        from clearinghouse.core.anchor import chain_head

        gauge = GaugeMetricFamily("clearinghouse_audit_chain_length", "Events in the audit chain.")
        gauge.add_metric([], float(chain_head()[0]))
        yield gauge


def allowed(address: str, networks: Iterable[str] | None = None) -> bool:
    """Whether a client address lies in one of the networks allowed to read the metrics."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for network in settings.CLEARINGHOUSE_METRICS_ALLOWED if networks is None else networks:
        if ip in ipaddress.ip_network(network, strict=False):
            return True
    return False


def render() -> bytes:
    """The metrics text: every worker's (multiprocess mode) or this process's, plus the chain length."""
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    body = generate_latest(registry)
    chain = CollectorRegistry()
    chain.register(AuditChainCollector())
    return body + generate_latest(chain)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """`GET /metrics`: Prometheus text for the allowed networks, 404 for everybody else."""
    if not allowed(request.META.get("REMOTE_ADDR", "")):
        raise Http404("not found")
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
