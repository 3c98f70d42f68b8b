"""IATI 2.03 activity export of the public figures (docs/open-data.md has the mapping).

One `iati-activity` per donor-to-recipient programme: each donor's aid to the recipient (Ukraine)
in a tracker release, the figures the public page publishes per donor (never withheld). Its
transactions are the donor's monthly values, typed by the IATI TransactionType codelist:

* the tracker's `commitments` (aid pledged or announced) → 12 Outgoing Pledge;
* the tracker's allocations, by type of aid (military, financial, humanitarian: "delivered or
  specified for delivery") → 2 Outgoing Commitment, the type as the transaction's sector
  (vocabulary 99, reporting organisation);
* deliveries and disbursements → 3 Disbursement (no public source yet: the contact group's records
  are never published per donor, their small cells being withheld; see `suppression.py`).

Values are in EUR (the release's EUR billion × 10^9, exact), with `@currency` and `@value-date`
(the first day of the month). The contact group's jointly funded packages will become activities
of their own when they are published (docs/open-data.md).

Plain `xml.etree`: no dependency at run time; the tests validate the output with lxml against the
official schema shipped in `reports/data/iati-2.03/`.
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pycountry
from django.conf import settings

from clearinghouse.core import clock
from clearinghouse.core.errors import NotFound
from clearinghouse.participants.choices import ParticipantKind
from clearinghouse.participants.models import Participant
from clearinghouse.tracker import selectors as tracker_selectors
from clearinghouse.tracker.models import KielFlow, KielRelease

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "iati-2.03"
VERSION = "2.03"
RECIPIENT = "UKR"
# IATI TransactionType codelist.
OUTGOING_PLEDGE = "12"
OUTGOING_COMMITMENT = "2"
DISBURSEMENT = "3"
TRANSACTION_TYPES = {
    "commitments": OUTGOING_PLEDGE,
    "military": OUTGOING_COMMITMENT,
    "financial": OUTGOING_COMMITMENT,
    "humanitarian": OUTGOING_COMMITMENT,
}
# IATI OrganisationType codelist: 10 Government, 40 Multilateral.
ORG_TYPES: dict[str, str] = {str(ParticipantKind.ORGANISATION): "40"}
GOVERNMENT = "10"
# IATI OrganisationRole: 1 Funding, 4 Implementing. ActivityStatus 2 Implementation.
FUNDING, IMPLEMENTING = "1", "4"
IMPLEMENTATION = "2"
SECTOR_VOCABULARY = "99"  # reporting organisation's own: the tracker's type of aid


def reporting_org() -> tuple[str, str]:
    """The publisher's IATI organisation identifier and name (settings)."""
    return str(settings.IATI_REPORTING_ORG_REF), str(settings.IATI_REPORTING_ORG_NAME)


def org_ref(code: str) -> str:
    """A participant's organisation identifier: the publisher's prefix and the participant's code."""
    return f"{reporting_org()[0]}-{code}"


def _alpha2(code: str) -> str | None:
    country = pycountry.countries.get(alpha_3=code)
    return country.alpha_2 if country else None


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    ET.SubElement(el, "narrative").text = text
    return el


def _eur(value_bn: Decimal) -> str:
    """EUR billion → EUR, exact, with cents."""
    return format(value_bn.scaleb(9).quantize(Decimal("0.01")), "f")


def _org(parent: ET.Element, tag: str, participant: Participant | None, code: str) -> None:
    kind = str(participant.kind) if participant else ""
    el = ET.SubElement(parent, tag, {"ref": org_ref(code), "type": ORG_TYPES.get(kind, GOVERNMENT)})
    ET.SubElement(el, "narrative").text = participant.name if participant else code


def activities(
    *, release: KielRelease, participant: str | None = None
) -> tuple[list[ET.Element], dict[str, int]]:
    """The release's donor-to-recipient programmes as `iati-activity` elements, and counts."""
    flows = KielFlow.objects.restrict(None, "view").filter(release=release, type__in=TRANSACTION_TYPES)
    if participant:
        flows = flows.filter(participant__code=participant)
    by_donor: dict[str, list[tuple[int, int, str, Decimal]]] = defaultdict(list)
    for code, year, month, type_, value in flows.order_by(
        "participant__code", "year", "month", "type"
    ).values_list("participant__code", "year", "month", "type", "value"):
        if value:
            by_donor[code].append((year, month, type_, value))
    people = {p.code: p for p in Participant.objects.filter(code__in=[*by_donor, RECIPIENT])}
    recipient = people.get(RECIPIENT)
    reporter_ref, reporter_name = reporting_org()
    updated = dt.datetime.combine(release.date, dt.time(), tzinfo=dt.UTC).isoformat()
    out: list[ET.Element] = []
    transactions = 0
    for code, rows in sorted(by_donor.items()):
        donor = people.get(code)
        name = donor.name if donor else code
        activity = ET.Element(
            "iati-activity",
            {
                "last-updated-datetime": updated,
                "{http://www.w3.org/XML/1998/namespace}lang": "en",
                "default-currency": "EUR",
            },
        )
        ET.SubElement(
            activity, "iati-identifier"
        ).text = f"{reporter_ref}-KIEL{release.number}-{code}-{RECIPIENT}"
        _text(
            activity,
            "reporting-org",
            reporter_name,
            ref=reporter_ref,
            type="90",
            **{"secondary-reporter": "1"},
        )
        _text(activity, "title", f"Support from {name} to Ukraine ({release.source_line})")
        _text(
            activity,
            "description",
            f"{name}'s aid to Ukraine by month and type as published in {release.label}: "
            "pledges (12) and allocations by type of aid (2).",
            type="1",
        )
        _org(activity, "participating-org", donor, code)
        activity[-1].set("role", FUNDING)
        _org(activity, "participating-org", recipient, RECIPIENT)
        activity[-1].set("role", IMPLEMENTING)
        ET.SubElement(activity, "activity-status", {"code": IMPLEMENTATION})
        first = min((y, m) for y, m, _, _ in rows)
        ET.SubElement(activity, "activity-date", {"type": "2", "iso-date": f"{first[0]}-{first[1]:02d}-01"})
        alpha2 = _alpha2(RECIPIENT)
        if alpha2:
            ET.SubElement(activity, "recipient-country", {"code": alpha2, "percentage": "100"})
        for year, month, type_, value in rows:
            day = f"{year}-{month:02d}-01"
            t = ET.SubElement(activity, "transaction")
            ET.SubElement(t, "transaction-type", {"code": TRANSACTION_TYPES[type_]})
            ET.SubElement(t, "transaction-date", {"iso-date": day})
            ET.SubElement(t, "value", {"currency": "EUR", "value-date": day}).text = _eur(value)
            what = "pledged (commitments)" if type_ == "commitments" else f"{type_} aid allocated"
            _text(t, "description", f"{name}: {what}, {year}-{month:02d}")
            _org(t, "provider-org", donor, code)
            _org(t, "receiver-org", recipient, RECIPIENT)
            if type_ != "commitments":
                _text(t, "sector", type_, vocabulary=SECTOR_VOCABULARY, code=type_)
            transactions += 1
        out.append(activity)
    return out, {"activities": len(out), "transactions": transactions}


def export(
    *, participant: str | None = None, release_number: int | None = None
) -> tuple[bytes, dict[str, int]]:
    """The IATI 2.03 activities file of the public figures (bytes, UTF-8), and what it holds.

    `participant`: only that donor's programme. NotFound when no release is imported, or the
    donor has no public figures (an IATI file needs at least one activity).
    """
    if release_number is None:
        release = tracker_selectors.current_release(user=None)
    else:
        release = tracker_selectors.get_release(user=None, number=release_number)
    acts, counts = activities(release=release, participant=participant)
    if not acts:
        who = f" for {participant}" if participant else ""
        raise NotFound(f"No public figures{who} in {release.label}: nothing to export.")
    root = ET.Element(
        "iati-activities",
        {"version": VERSION, "generated-datetime": clock.now().replace(microsecond=0).isoformat()},
    )
    root.extend(acts)
    ET.indent(root)
    out = io.BytesIO()
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out.getvalue(), counts
