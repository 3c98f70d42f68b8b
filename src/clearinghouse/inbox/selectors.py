"""Reads of the inbox: what waits for a user (the work queue), and the user's notifications.

The work queue is computed, never stored: each kind is one rule over records the user may see
(every query starts from `restrict` or an app's selector), so an item disappears as soon as the work
is done. Each kind costs a fixed number of queries, whatever the number of records: at most `CAP`
items of a kind are listed, and the kind's count is then counted in the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from clearinghouse.clearing.choices import ProposalState, RunKind
from clearinghouse.clearing.models import ClearingRun
from clearinghouse.core import clock
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.choices import JobState
from clearinghouse.core.errors import DomainError
from clearinghouse.core.models import Job
from clearinghouse.funds import selectors as fund_selectors
from clearinghouse.governance.choices import DecisionStatus
from clearinghouse.governance.models import BodyMembership, Decision, DecisionPosition
from clearinghouse.inbox.choices import ItemKind
from clearinghouse.inbox.models import Notification
from clearinghouse.packages.choices import SUPPLYING
from clearinghouse.packages.models import ScheduleLine
from clearinghouse.participants.choices import Role
from clearinghouse.participants.permissions import (
    is_admin,
    is_coordination_cell,
    is_donor_officer_of,
    is_recipient_officer_of,
)
from clearinghouse.pledges.choices import ALLOCATABLE, PledgeKind, PledgeStatus
from clearinghouse.pledges.models import Delivery, Pledge
from clearinghouse.requirements import coverage
from clearinghouse.requirements import selectors as requirement_selectors

# At most this many items of one kind are listed (the count is still the whole number).
CAP = 200
# A failed import stays in the queue this long, unless a later import of the same kind succeeded.
FAILED_IMPORT_DAYS = 30


@dataclass(frozen=True)
class Item:
    """One thing that waits for the user: what it is, a line to read, where to do it, since when."""

    kind: str
    title: str
    url: str
    since: dt.datetime


@dataclass(frozen=True)
class KindSummary:
    """How many items of a kind wait, for the home page."""

    kind: str
    label: str
    count: int
    items: list[Item]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _capped(qs: QuerySet[Any], make: Callable[[Any], Item]) -> tuple[int, list[Item]]:
    rows = list(qs[:CAP])
    total = len(rows) if len(rows) < CAP else qs.count()
    return total, [make(r) for r in rows]


def _what(pledge: Pledge) -> str:
    if pledge.quantity and pledge.item_type is not None:
        return f"{pledge.quantity:,} {pledge.item_type.unit} of {pledge.item_type.code}"
    if pledge.amount is not None:
        return f"{pledge.amount:,.2f} {pledge.currency}"
    return PledgeKind(pledge.kind).label.lower()


def offers_to_decide(user: Actor) -> tuple[int, list[Item]]:
    """Offered pledges, for the coordination cell that accepts or declines them."""
    if not is_coordination_cell(user):
        return 0, []
    qs = (
        Pledge.objects.restrict(user, "view")
        .filter(status=PledgeStatus.OFFERED)
        .select_related("owner", "item_type")
        .order_by("created_at", "id")
    )
    return _capped(
        qs,
        lambda p: Item(
            ItemKind.OFFER, f"Pledge {p.pk} of {p.owner.code}: {_what(p)}", f"/pledges/{p.pk}/", p.created_at
        ),
    )


def proposals_to_review(user: Actor) -> tuple[int, list[Item]]:
    """The latest baseline clearing run, when proposals of it are neither accepted nor refused yet
    (an earlier run's proposals are superseded by the later run), for the coordination cell."""
    if not is_coordination_cell(user):
        return 0, []
    run = (
        ClearingRun.objects.restrict(user, "view")
        .filter(kind=RunKind.BASELINE)
        .annotate(pending=Count("proposals", filter=Q(proposals__state=ProposalState.PROPOSED)))
        .order_by("-created_at", "-id")
        .first()
    )
    if run is None or not run.pending:
        return 0, []
    title = f"Clearing run {run.pk}: {run.pending} proposed allocation{'s' if run.pending != 1 else ''}"
    return 1, [Item(ItemKind.PROPOSALS, title, f"/clearing/runs/{run.pk}/", run.created_at)]


def receipts_to_confirm(user: Actor) -> tuple[int, list[Item]]:
    """Deliveries against the recipient's requirements that its officers have not confirmed yet."""
    if not is_signed_in(user) or not is_recipient_officer_of(user, user.participant_id) or is_admin(user):
        return 0, []
    qs = (
        Delivery.objects.restrict(user, "view")
        .filter(confirmed_at__isnull=True, allocation__requirement__owner_id=user.participant_id)
        .select_related("allocation__pledge__item_type", "allocation__pledge__owner")
        .order_by("delivered_on", "id")
    )

    def make(d: Delivery) -> Item:
        pledge = d.allocation.pledge
        unit = pledge.item_type.unit if pledge.item_type else "units"
        title = (
            f"Delivery {d.pk}: {d.quantity:,} {unit} from {pledge.owner.code} on {d.delivered_on:%Y-%m-%d} "
            f"(requirement {d.allocation.requirement_id})"
        )
        return Item(ItemKind.RECEIPT, title, f"/requirements/{d.allocation.requirement_id}/", d.created_at)

    return _capped(qs, make)


def deliveries_overdue(user: Actor) -> tuple[int, list[Item]]:
    """Lines of a contracted package's delivery schedule whose month is over and whose pledge is not
    delivered in full: for the cell (all it sees) and the implementer's donor officers."""
    if not is_signed_in(user):
        return 0, []
    qs = ScheduleLine.objects.restrict(user, "view")
    if not is_coordination_cell(user):
        if user.role != Role.DONOR_OFFICER or not is_donor_officer_of(user, user.participant_id):
            return 0, []
        own = user.participant_id
        qs = qs.filter(Q(pledge__owner_id=own) | Q(contract__package__owner_id=own))
    this_month = clock.today().replace(day=1)
    qs = (
        qs.filter(
            contract__package__state__in=SUPPLYING,
            month__lt=this_month,
            pledge__isnull=False,
            pledge__delivered_quantity__lt=F("quantity"),
        )
        .exclude(pledge__status__in=(PledgeStatus.WITHDRAWN, PledgeStatus.DECLINED))
        .select_related("contract__package", "item_type", "pledge")
        .order_by("month", "id")
    )

    def make(line: ScheduleLine) -> Item:
        package = line.contract.package
        assert line.pledge is not None
        left = line.quantity - line.pledge.delivered_quantity
        title = (
            f"Package {package.pk} ({package.title}): {left:,} of {line.quantity:,} {line.item_type.unit} "
            f"of {line.item_type.code} due in {line.month:%Y-%m} not delivered"
        )
        next_month = (line.month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return Item(ItemKind.OVERDUE, title, f"/packages/{package.pk}/", _midnight(next_month))

    return _capped(qs, make)


def requirements_without_offer(user: Actor) -> tuple[int, list[Item]]:
    """Requirements not fully covered for which no pledge the user may see could provide: none of an
    acceptable item type that is offered or allocatable with units not yet allocated. For the cell
    (every requirement it sees) and the recipient's officers (their own)."""
    if is_coordination_cell(user):
        owner = None
    elif is_signed_in(user) and is_recipient_officer_of(user, user.participant_id) and not is_admin(user):
        owner = user.participant.code
    else:
        return 0, []
    compatible = Pledge.objects.restrict(user, "view").filter(
        kind=PledgeKind.IN_KIND,
        status__in=(PledgeStatus.OFFERED, *ALLOCATABLE),
        quantity__gt=F("allocated_quantity"),
        item_type__requirements=OuterRef("pk"),
    )
    qs = (
        requirement_selectors.requirement_list(user=user, status=coverage.NOT_FULLY_COVERED, owner=owner)
        .filter(~Exists(compatible))
        .prefetch_related(None)
    )

    def make(r: Any) -> Item:
        title = f"Requirement {r.pk} ({r.get_priority_display().lower()}): {r.quantity:,} {r.unit}".rstrip()
        if r.capability_id:
            title += f", {r.capability.name}"
        return Item(ItemKind.UNMATCHED, title, f"/requirements/{r.pk}/", r.created_at)

    return _capped(qs, make)


def fund_arrears(user: Actor) -> tuple[int, list[Item]]:
    """Funds with members whose credit to date is below their fair shares, for finance officers."""
    if not is_signed_in(user) or not user.has_role(Role.FINANCE_OFFICER):
        return 0, []
    items = []
    since = _midnight(clock.today().replace(month=1, day=1))
    for fund in fund_selectors.fund_list(user=user):
        try:
            arrears = fund_selectors.status_of(fund, user=user).arrears
        except (DomainError, IndexError):  # a fund without years has no standing yet
            continue
        if arrears:
            shown = ", ".join(arrears[:8]) + (f" and {len(arrears) - 8} more" if len(arrears) > 8 else "")
            members = f"{len(arrears)} member{'s' if len(arrears) != 1 else ''}"
            title = f"{fund.name}: {members} in arrears ({shown})"
            items.append(Item(ItemKind.ARREARS, title, f"/funds/{fund.slug}/", since))
    return len(items), items


def decisions_awaiting_position(user: Actor) -> tuple[int, list[Item]]:
    """Open decisions of bodies the user's participant belongs to today, where it has not stated a
    position: for the officers who record their participant's position."""
    officer_roles = (Role.DONOR_OFFICER, Role.RECIPIENT_OFFICER, Role.COORDINATOR)
    if not is_signed_in(user) or user.role not in officer_roles or not user.participant_id:
        return 0, []
    today = clock.today()
    member = (
        BodyMembership.objects.filter(body_id=OuterRef("body_id"), participant_id=user.participant_id)
        .filter(start__lte=today)
        .exclude(end__lte=today)
    )
    stated = DecisionPosition.objects.filter(decision_id=OuterRef("pk"), participant_id=user.participant_id)
    qs = (
        Decision.objects.restrict(user, "view")
        .filter(status=DecisionStatus.OPEN)
        .filter(Exists(member))
        .filter(~Exists(stated))
        .select_related("body")
        .order_by("deadline", "created_at", "id")
    )

    def make(d: Decision) -> Item:
        due = f" (by {d.deadline:%Y-%m-%d})" if d.deadline else ""
        title = f"{d.body.code}: {d.title}{due}"
        return Item(ItemKind.DECISION, title, f"/governance/decisions/{d.pk}/", d.created_at)

    return _capped(qs, make)


def imports_failed(user: Actor) -> tuple[int, list[Item]]:
    """The user's background imports that failed in the last `FAILED_IMPORT_DAYS` days, unless a later
    import of the same kind succeeded."""
    if not is_signed_in(user):
        return 0, []
    later_success = Job.objects.filter(
        owner_id=user.pk,
        kind=OuterRef("kind"),
        state=JobState.SUCCEEDED,
        created_at__gt=OuterRef("created_at"),
    )
    qs = (
        Job.objects.filter(
            owner_id=user.pk,
            kind__startswith="import.",
            state=JobState.FAILED,
            created_at__gte=clock.now() - dt.timedelta(days=FAILED_IMPORT_DAYS),
        )
        .filter(~Exists(later_success))
        .defer("input_file")
        .order_by("-created_at", "-id")
    )

    def make(job: Job) -> Item:
        what = job.input_name or job.kind.removeprefix("import.")
        error = (job.error or "failed").splitlines()[0][:160]
        return Item(ItemKind.IMPORT, f"Import of {what} failed: {error}", f"/jobs/{job.pk}/", job.created_at)

    return _capped(qs, make)


RULES: dict[str, Callable[[Actor], tuple[int, list[Item]]]] = {
    ItemKind.OFFER: offers_to_decide,
    ItemKind.PROPOSALS: proposals_to_review,
    ItemKind.RECEIPT: receipts_to_confirm,
    ItemKind.OVERDUE: deliveries_overdue,
    ItemKind.UNMATCHED: requirements_without_offer,
    ItemKind.ARREARS: fund_arrears,
    ItemKind.DECISION: decisions_awaiting_position,
    ItemKind.IMPORT: imports_failed,
}


def work_queue(*, user: Actor) -> list[KindSummary]:
    """What waits for the user, kind by kind (only the kinds with something waiting)."""
    out = []
    for kind, rule in RULES.items():
        count, items = rule(user)
        if count:
            out.append(KindSummary(kind=kind, label=str(ItemKind(kind).label), count=count, items=items))
    return out


def work_queue_json(*, user: Actor, kinds: list[KindSummary] | None = None) -> dict[str, Any]:
    """`{"items": [{"kind", "title", "url", "since"}], "count"}`: every item listed, and how many wait
    (more than listed when a kind has more than `CAP`)."""
    if kinds is None:
        kinds = work_queue(user=user)
    return {
        "items": [
            {"kind": i.kind, "title": i.title, "url": i.url, "since": i.since} for k in kinds for i in k.items
        ],
        "count": sum(k.count for k in kinds),
    }


def notification_list(*, user: Actor, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    qs: QuerySet[Notification] = Notification.objects.restrict(user, "view")
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created", "-id")


def unread_count(*, user: Actor) -> int:
    """How many of the user's notifications are unread (the header's figure)."""
    if not is_signed_in(user):
        return 0
    return int(Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count())
