"""A meeting as the delegations see it: what changed since the body's previous meeting, and the
briefing pack (PDF) built from it. Project level: it draws on governance, pledges, requirements,
clearing and funds at once (docs/development.md, "Where new code goes").

Everything is read for one reader (`user`) through the apps' selectors, so a pack made for a
participant holds only what that participant may see; every page of the PDF states the marking.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q

from clearinghouse.clearing import selectors as clearing_selectors
from clearinghouse.core import clock, humanize
from clearinghouse.core.choices import Releasability
from clearinghouse.core.errors import DomainError
from clearinghouse.core.releasability import sees_everything
from clearinghouse.funds import selectors as fund_selectors
from clearinghouse.governance.choices import DecisionStatus
from clearinghouse.governance.models import Decision, Meeting
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements.value import Valuer, eur

# Narrowest last: the pack carries the narrowest marking of anything it contains.
MARKING_ORDER = [
    Releasability.PUBLIC,
    Releasability.CONTACT_GROUP,
    Releasability.COORDINATION,
    Releasability.OWNER,
]


@dataclass
class SincePrevious:
    """What a meeting page and its briefing pack show, for one reader."""

    meeting: Meeting
    previous: Meeting | None
    since: dt.date | None
    new_pledges: list[Any] = field(default_factory=list)
    changed_pledges: list[Any] = field(default_factory=list)
    announced_here: list[Any] = field(default_factory=list)
    deliveries: list[Any] = field(default_factory=list)
    shortfalls: list[dict[str, Any]] = field(default_factory=list)
    shortfalls_then_shown: bool = False
    funds: list[dict[str, Any]] = field(default_factory=list)
    decisions_taken: list[Decision] = field(default_factory=list)
    decisions_pending: list[Decision] = field(default_factory=list)
    marking: str = Releasability.PUBLIC

    @property
    def marking_label(self) -> str:
        return str(Releasability(self.marking).label).upper()


def _window(qs: Any, field_name: str, since: dt.date | None, until: dt.date) -> Any:
    q = Q(**{f"{field_name}__lte": until})
    if since is not None:
        q &= Q(**{f"{field_name}__gt": since})
    return qs.filter(q)


def _shortfalls(user: Any, since: dt.date | None, until: dt.date) -> tuple[list[dict[str, Any]], bool]:
    """By capability, in EUR at reference prices: required, allocated, delivered and short now (the
    clearing house's rule of what the reader may know); and, for readers who see everything, what of
    today's requirements was undelivered at the previous meeting (deliveries up to its date) and is
    undelivered now. Units of different item types are never added."""
    now = clearing_selectors.shortfalls(user=user)["capabilities"]
    rows = {r["capability"]: dict(r) for r in now}
    then_shown = sees_everything(user) and since is not None
    if then_shown:
        valuer = Valuer(clock.today())
        values: dict[int, Decimal | None] = {}
        delivered: dict[str, Decimal] = defaultdict(Decimal)
        for r in requirement_selectors.requirement_list(user=user).filter(cancelled=False):
            values[r.pk] = valuer.unit_value(r)
        for d in (
            pledge_selectors.delivery_list(user=user)
            .filter(delivered_on__lte=since, allocation__requirement_id__in=list(values))
            .select_related("allocation__requirement__capability")
        ):
            value = eur(d.quantity * d.allocation.factor, values[d.allocation.requirement_id])
            delivered[d.allocation.requirement.capability.code] += value or 0
        for code, row in rows.items():
            row["undelivered_then_eur"] = max(Decimal(0), row["required_eur"] - delivered.get(code, 0))
            row["undelivered_now_eur"] = max(Decimal(0), row["required_eur"] - row["delivered_eur"])
    return list(rows.values()), then_shown


def _funds(user: Any) -> list[dict[str, Any]]:
    out = []
    for fund in fund_selectors.fund_list(user=user):
        try:
            status = fund_selectors.status_of(fund, user=user)
        except DomainError:
            continue
        target = sum((m.fair_share for m in status.members), Decimal(0))
        out.append(
            {
                "name": fund.name,
                "slug": fund.slug,
                "currency": fund.currency,
                "target": target,
                "credited": status.credited,
                "met_pct": (status.credited / target * 100).quantize(Decimal("0.1")) if target else None,
                "arrears": list(status.arrears),
                "opted_out": [m.participant for m in status.members if m.opted_out],
            }
        )
    return out


def since_previous(meeting: Meeting, user: Any) -> SincePrevious:
    """What changed between the body's previous meeting and this one, as `user` may see it."""
    previous = meeting.previous()
    since = previous.date if previous else None
    until = meeting.date
    pledges = pledge_selectors.pledge_list(user=user)
    data = SincePrevious(meeting=meeting, previous=previous, since=since)
    data.new_pledges = list(_window(pledges, "created_at__date", since, until).order_by("created_at"))
    changed = _window(pledges, "updated_at__date", since, until)
    if since is not None:
        changed = changed.filter(created_at__date__lte=since)
    data.changed_pledges = list(changed.order_by("updated_at"))
    data.announced_here = list(pledges.filter(meeting=meeting).order_by("id"))
    data.deliveries = list(
        _window(pledge_selectors.delivery_list(user=user), "delivered_on", since, until).select_related(
            "allocation__pledge__owner", "allocation__pledge__item_type"
        )
    )
    data.shortfalls, data.shortfalls_then_shown = _shortfalls(user, since, until)
    data.funds = _funds(user)
    decisions = Decision.objects.restrict(user, "view").filter(body=meeting.body)
    data.decisions_taken = list(
        _window(decisions.exclude(status=DecisionStatus.OPEN), "closed_at__date", since, until)
    )
    data.decisions_pending = list(decisions.filter(status=DecisionStatus.OPEN).order_by("deadline", "id"))
    markings = {p.releasability for p in [*data.new_pledges, *data.changed_pledges, *data.announced_here]}
    data.marking = max(markings, key=MARKING_ORDER.index) if markings else Releasability.PUBLIC
    if data.deliveries and MARKING_ORDER.index(data.marking) < MARKING_ORDER.index(
        Releasability.COORDINATION
    ):
        data.marking = max(
            [data.marking, *(d.allocation.pledge.releasability for d in data.deliveries)],
            key=MARKING_ORDER.index,
        )
    return data


def _pledge_line(p: Any) -> str:
    what = f"{p.quantity} x {p.item_type.name}" if p.item_type_id else f"{p.amount} {p.currency}"
    value = f", EUR {p.value_eur:,.0f}" if p.value_eur is not None else ""
    return f"P{p.pk} {p.owner.code}: {what}{value} ({p.status}; {p.releasability})"


def pdf(data: SincePrevious, user: Any) -> bytes:
    """The briefing pack: agenda, shortfalls by capability with a chart, pledges announced since the
    previous meeting, deliveries, fund compliance, decisions pending; the marking on every page."""
    from fpdf import FPDF

    meeting = data.meeting
    reader = (
        f"{user.get_username()} ({user.participant.code})"
        if getattr(user, "is_authenticated", False)
        else "public"
    )
    marking = f"{data.marking_label} - prepared for {reader}"

    class Pack(FPDF):  # type: ignore[misc]  # fpdf2 has no annotations
        def header(self) -> None:
            self.set_font("Helvetica", "B", 9)
            self.cell(0, 6, f"Marking: {marking}", align="C", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 6, f"Marking: {data.marking_label} - page {self.page_no()}", align="C")

    doc = Pack(format="A4")
    doc.set_title(f"Briefing pack: {meeting.title}")
    doc.add_page()
    epw = doc.w - doc.l_margin - doc.r_margin

    def h(text: str) -> None:
        doc.ln(3)
        doc.set_font("Helvetica", "B", 12)
        doc.cell(0, 7, _latin(text), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Helvetica", "", 9)

    def line(text: str) -> None:
        doc.multi_cell(epw, 5, _latin(text), new_x="LMARGIN", new_y="NEXT")

    doc.set_font("Helvetica", "B", 15)
    doc.multi_cell(epw, 8, _latin(f"Briefing pack: {meeting.title}"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 9)
    line(
        f"{meeting.body.name} - {meeting.date} - {meeting.get_format_display()}"
        + (f" - {meeting.place}" if meeting.place else "")
    )
    line(
        f"Since the previous meeting: {data.previous.date} ({data.previous.title})"
        if data.previous
        else "The body's first meeting in the system: everything to date."
    )
    h("Agenda")
    for n, item in enumerate(meeting.agenda, 1):
        line(f"{n}. {item}")
    if not meeting.agenda:
        line("No agenda recorded.")
    _shortfall_section(doc, data, epw)
    _record_sections(doc, data, epw)
    return bytes(doc.output())


def _chart(doc: Any, rows: list[dict[str, Any]], width: float) -> None:
    """Horizontal bars: delivered and allocated as a share of required, one bar per capability."""
    if not rows:
        return
    label_w, bar_w = 55.0, width - 75.0
    doc.set_font("Helvetica", "", 8)
    for r in rows:
        required = r["required_eur"] or 1
        y = doc.get_y()
        doc.cell(label_w, 5, _latin(r["capability_name"])[:34])
        x = doc.get_x()
        doc.set_draw_color(120, 120, 120)
        doc.rect(x, y + 1, bar_w, 3)
        doc.set_fill_color(170, 190, 220)
        doc.rect(x, y + 1, bar_w * min(1.0, float(r["allocated_eur"] / required)), 3, style="F")
        doc.set_fill_color(40, 90, 160)
        doc.rect(x, y + 1, bar_w * min(1.0, float(r["delivered_eur"] / required)), 3, style="F")
        doc.set_x(x + bar_w + 2)
        doc.cell(18, 5, f"{round(100 * r['delivered_eur'] / required)}%", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 7)
    doc.cell(0, 4, "Dark: delivered; light: allocated; frame: required.", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 9)


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1: replace what they cannot draw."""
    return text.replace("\u2013", "-").replace("\u2014", "-").encode("latin-1", "replace").decode("latin-1")


def _eur(value: Decimal) -> str:
    return humanize.money_short(value, "EUR")


def _shortfall_section(doc: Any, data: SincePrevious, epw: float) -> None:
    """Shortfalls by capability: the chart, then the figures."""
    h, line = _writers(doc, epw)
    h("Shortfalls by capability")
    _chart(doc, data.shortfalls, epw)
    for r in data.shortfalls:
        then = (
            f"; undelivered then {_eur(r['undelivered_then_eur'])}, now {_eur(r['undelivered_now_eur'])}"
            if data.shortfalls_then_shown
            else ""
        )
        line(
            f"{r['capability_name']} (EUR at reference prices): required {_eur(r['required_eur'])}, "
            f"allocated {_eur(r['allocated_eur'])}, delivered {_eur(r['delivered_eur'])}, "
            f"short {_eur(r['short_eur'])}{then}"
        )
    if not data.shortfalls:
        line("No requirements visible to this reader.")


def _record_sections(doc: Any, data: SincePrevious, epw: float) -> None:
    """Pledges since the previous meeting, deliveries, fund compliance, decisions."""
    meeting = data.meeting
    h, line = _writers(doc, epw)
    h("Pledges announced since the previous meeting")
    for p in data.new_pledges:
        line(_pledge_line(p) + (" - announced at this meeting" if p.meeting_id == meeting.pk else ""))
    if not data.new_pledges:
        line("None visible to this reader.")
    if data.changed_pledges:
        h("Pledges changed since the previous meeting")
        for p in data.changed_pledges:
            line(_pledge_line(p))
    h("Deliveries")
    for d in data.deliveries:
        pledge = d.allocation.pledge
        line(f"{d.delivered_on}: {d.quantity} of pledge P{pledge.pk} ({pledge.owner.code})")
    if not data.deliveries:
        line("None visible to this reader.")
    h("Fund compliance")
    for f in data.funds:
        met = f"{f['met_pct']}%" if f["met_pct"] is not None else "n/a"
        line(
            f"{f['name']}: credited {f['credited']:,.2f} of fair shares {f['target']:,.2f} {f['currency']} "
            f"({met}); in arrears: {', '.join(f['arrears']) or 'none'}; "
            f"opted out: {', '.join(f['opted_out']) or 'none'}"
        )
    if not data.funds:
        line("No fund visible to this reader.")
    h("Decisions pending")
    for dec in data.decisions_pending:
        line(
            f"#{dec.pk} {dec.title} ({dec.get_procedure_display()}"
            + (f", deadline {dec.deadline})" if dec.deadline else ")")
        )
    if not data.decisions_pending:
        line("None.")
    if data.decisions_taken:
        h("Decisions taken since the previous meeting")
        for dec in data.decisions_taken:
            line(f"#{dec.pk} {dec.title}: {dec.status}")


def _writers(doc: Any, epw: float) -> tuple[Any, Any]:
    def h(text: str) -> None:
        doc.ln(3)
        doc.set_font("Helvetica", "B", 12)
        doc.cell(0, 7, _latin(text), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Helvetica", "", 9)

    def line(text: str) -> None:
        doc.multi_cell(epw, 5, _latin(text), new_x="LMARGIN", new_y="NEXT")

    return h, line
