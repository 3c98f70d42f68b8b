"""Every API operation and every page, tried by every persona and by an anonymous visitor."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import API, NOT_PAGES, PAGES
from tests.access_rules import Rule
from tests.page_text import python_structures

pytestmark = pytest.mark.django_db


def _operations() -> list[tuple[str, str]]:
    from clearinghouse.api import api

    schema = api.get_openapi_schema()
    ops = [(method.upper(), path) for path, methods in schema["paths"].items() for method in methods]
    return sorted(ops)


def _page_names() -> list[str]:
    names: list[str] = []

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin", "api") or p.app_name in ("admin", "api"):
                    continue
                walk(p.url_patterns, p.namespace)
            elif isinstance(p, URLPattern) and p.name and not namespace:
                names.append(p.name)

    walk(get_resolver().url_patterns, None)
    return sorted(set(names))


def test_every_api_operation_has_an_authorisation_rule() -> None:
    missing = [op for op in _operations() if op not in API]
    assert missing == [], f"API operations without an authorisation rule in tests/access.py: {missing}"
    stale = [op for op in API if op not in _operations()]
    assert stale == [], f"rules for operations that no longer exist: {stale}"


def test_every_page_has_an_authorisation_rule() -> None:
    missing = [n for n in _page_names() if n not in PAGES and n not in NOT_PAGES]
    assert missing == [], f"pages without an authorisation rule in tests/access.py: {missing}"


class _Rollback(Exception):
    pass


def _call(
    client: Client, method: str, path: str, rule: Rule, personas: dict[str, Any], values: dict[str, Any]
) -> int:
    url = path.format(**values) + (f"?{rule.query}" if rule.query else "")
    body = json.dumps(rule.body(personas)) if rule.body else None
    fn = getattr(client, method.lower())
    response = fn(url, data=body, content_type="application/json") if body is not None else fn(url)
    assert response.status_code != 500
    return cast("int", response.status_code)


@pytest.mark.parametrize("op", sorted(API), ids=lambda op: f"{op[0]} {op[1]}")
def test_api_matrix(op: tuple[str, str], personas: dict[str, Any], api_client: Any) -> None:
    method, path = op
    rule = API[op]
    results: dict[str, int] = {}
    for name in ["anonymous", *sorted(personas)]:
        user = personas.get(name)
        # Each persona's call runs on the same starting state: roll back what the previous one wrote.
        try:
            with transaction.atomic():
                values = rule.setup(personas) if rule.setup else {}
                results[name] = _call(api_client(user), method, path, rule, personas, values)
                raise _Rollback
        except _Rollback:
            pass
    wrong = {}
    for name, status in results.items():
        if name in rule.expect:
            expected: tuple[int, ...] = rule.expect[name]
        elif name == "anonymous":
            expected = rule.ok if rule.public else (401,)
        elif name in rule.allowed:
            expected = rule.ok
        else:
            expected = rule.denied
        if status not in expected:
            wrong[name] = (status, expected)
    assert wrong == {}, f"{method} {path}: persona -> (got, expected) {wrong}"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_matrix(name: str, personas: dict[str, Any], page_client: Any) -> None:
    rule = PAGES[name]
    wrong = {}
    for persona in ["anonymous", *sorted(personas)]:
        try:
            with transaction.atomic():
                values = rule.setup(personas) if rule.setup else {}
                url = reverse(name, kwargs=values) + (f"?{rule.query}" if rule.query else "")
                response = page_client(personas.get(persona)).get(url)
                raise _Rollback
        except _Rollback:
            pass
        status = response.status_code
        assert status != 500
        if status == 200 and "html" in response.get("Content-Type", ""):
            # No page shows a Python structure (a dict's or list's repr, a Decimal(...)) to anyone.
            found = python_structures(response.content.decode())
            assert not found, f"page {name} as {persona} shows Python structures: {found[:3]}"
        if persona in rule.expect:
            ok = status in rule.expect[persona]
        elif persona == "anonymous":
            ok = status in rule.ok if rule.public else (status == 302 and "/login/" in response["Location"])
        elif persona in rule.allowed:
            ok = status in rule.ok or (name == "login" and status == 302)
        else:
            ok = status in rule.denied
        if not ok:
            wrong[persona] = status
    assert wrong == {}, f"page {name}: unexpected statuses {wrong}"
