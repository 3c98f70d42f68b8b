"""Framework services: define a framework, and load the shipped ones. The only code that writes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from django.db import transaction

from clearinghouse.core import audit, cleaning, fx
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.errors import Conflict, InvalidInput, PermissionDenied
from clearinghouse.frameworks.choices import Counts, Source
from clearinghouse.frameworks.models import Framework
from clearinghouse.frameworks.selectors import share_tables
from clearinghouse.funds import services as funds_services
from clearinghouse.funds.models import BurdenKey
from clearinghouse.participants import cleaning as participant_cleaning
from clearinghouse.participants.models import ParticipantGroup

RESERVED_SLUGS = {"new"}


def _require_finance(actor: Actor, what: str) -> None:
    if not is_signed_in(actor) or not actor.has_role("finance_officer"):
        raise PermissionDenied(f"Only finance officers and admins can {what}.")


def _after(framework: Framework) -> dict[str, Any]:
    after = audit.snapshot(framework)
    after["exempt"] = sorted(framework.exempt.values_list("code", flat=True))
    return after


def create_framework(*, actor: Actor, data: Mapping[str, Any]) -> Framework:
    """Define a framework: a yearly target over a period, shared by a key over a group, exempt members
    holding no share; what counts is military aid (records or the Kiel tracker)."""
    _require_finance(actor, "define frameworks")
    slug = str(data.get("slug") or "").strip().lower()
    if not slug or not slug.replace("-", "").isalnum() or len(slug) > 60 or slug in RESERVED_SLUGS:
        raise InvalidInput("slug: letters, digits and hyphens (and not a reserved word)", field="slug")
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("title: required, at most 200 characters", field="title")
    start = cleaning.date(data.get("start"), "start")
    end = cleaning.date(data.get("end"), "end")
    if end < start:
        raise InvalidInput(f"end: {end} is before the start ({start})", field="end")
    currency = fx.validate_currency(str(data.get("currency") or ""), field="currency")
    target = cleaning.money(data.get("target_amount"), "target_amount", currency=currency)
    group = ParticipantGroup.objects.filter(code=str(data.get("group") or "")).first()
    if group is None:
        raise InvalidInput(f"group: unknown participant group {data.get('group')!r}", field="group")
    members = set(group.members.values_list("code", flat=True))
    if not members:
        raise InvalidInput(f"group: {group.code} has no members", field="group")
    burden_key = BurdenKey.objects.filter(code=str(data.get("burden_key") or "")).first()
    if burden_key is None:
        raise InvalidInput(f"burden_key: unknown burden key {data.get('burden_key')!r}", field="burden_key")
    exempt = []
    for i, code in enumerate(data.get("exempt") or []):
        p = participant_cleaning.participant(code, f"exempt.{i}")
        if p.code not in members:
            raise InvalidInput(f"exempt.{i}: {p.code} is not a member of {group.code}", field=f"exempt.{i}")
        exempt.append(p)
    counts = str(data.get("counts") or Counts.MILITARY)
    if counts not in Counts.values:
        raise InvalidInput(f"counts: {counts!r} is not one of {', '.join(Counts.values)}", field="counts")
    source = str(data.get("default_source") or Source.RECORDS)
    if source not in Source.values:
        raise InvalidInput(
            f"default_source: {source!r} is not one of {', '.join(Source.values)}", field="default_source"
        )
    with transaction.atomic():
        if Framework.objects.filter(slug=slug).exists():
            raise Conflict(f"A framework with slug {slug!r} exists already.")
        framework = Framework.objects.create(
            slug=slug,
            title=title,
            start=start,
            end=end,
            target_amount=target,
            currency=currency,
            group=group,
            burden_key=burden_key,
            counts=counts,
            default_source=source,
            source_note=str(data.get("source_note") or "")[:500],
            notes=str(data.get("notes") or ""),
        )
        framework.exempt.set(exempt)
        # The key must give every participating member a weight in every year of the period.
        share_tables(framework, range(start.year, end.year + 1))
        audit.record(actor=actor, action="create", obj=framework, after=_after(framework))
    return framework


def shipped() -> list[dict[str, Any]]:
    """The frameworks shipped with the app (src/clearinghouse/frameworks/data/frameworks.json)."""
    text = resources.files("clearinghouse.frameworks").joinpath("data", "frameworks.json").read_text("utf-8")
    return list(json.loads(text))


def load_shipped(*, actor: Actor) -> dict[str, int]:
    """Create the shipped frameworks that do not exist yet, with their GDP keys (from the funds app's
    shipped GDP series); idempotent: an existing framework or key version is left as it is."""
    _require_finance(actor, "load frameworks")
    created = 0
    with transaction.atomic():
        funds_services.load_gdp_series(actor=actor)
        for spec in shipped():
            key = BurdenKey.objects.filter(code=spec["burden_key"]).first()
            if key is None or not key.versions.exists():
                funds_services.create_key_version(
                    actor=actor,
                    key=spec["burden_key"],
                    name=spec.get("burden_key_name", ""),
                    effective_year=spec["key_effective_year"],
                    kind="gdp",
                    gdp_year=spec["key_gdp_year"],
                )
            if Framework.objects.filter(slug=spec["slug"]).exists():
                continue
            create_framework(actor=actor, data=spec)
            created += 1
    return {"created": created}
