"""`clearinghouse fund ...`: list, status, shares, contributions, contribute, disburse, flows,
credit-pledge, reverse, opt-out, create, key, load-gdp."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any, cast

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core import fx
from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.funds import selectors, services
from clearinghouse.funds.models import Fund
from clearinghouse.funds.schemas import jsonable_status, shares_dict, status_dict

STATUS_COLUMNS = [
    ("participant", "member"),
    ("share", "share"),
    ("fair_share", "fair share"),
    ("credited_cash", "cash"),
    ("credited_in_kind", "in kind"),
    ("credited", "credited"),
    ("gap", "gap"),
    ("surplus", "surplus"),
    ("met_pct", "met %"),
]


def _date(value: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{flag}: {value!r} is not a date (YYYY-MM-DD)") from None


def _stale(c: Any) -> str:
    return (
        ", stale: older than 5 business days before the value date"
        if fx.is_stale(c.fx_date, c.value_date)
        else ""
    )


def _jsonable(value: Any) -> Any:
    """Decimals as decimal strings (money with 2 decimals, rates as stored), dates as ISO text."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def cell(key: str, value: Any) -> str:
    """How the table prints a value: shares with 10 decimals, money with separators, met % or a dash."""
    if value is None:
        return "—"
    if key == "share":
        return f"{value:.10f}"
    if key == "met_pct":
        return f"{value:.2f}"
    if isinstance(value, Decimal):
        return money(value)
    return str(value)


def render_table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        parts = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def status_table(data: dict[str, Any]) -> str:
    """The status as the CLI prints it (also pasted into the README)."""
    period = data["period"]
    span = f"{period['from']}–{period['to']} cumulative" if period["cumulative"] else f"year {period['from']}"
    head = [
        f"{data['name']} ({data['fund']}), {data['currency']}, {span}, as of {data['as_of']}",
        f"policy {data['shortfall_policy']}, key {data['burden_key']}",
        "",
    ]
    rows = [[label for _, label in STATUS_COLUMNS]]
    for m in data["members"]:
        row = [cell(k, m[k]) for k, _ in STATUS_COLUMNS]
        if m["opted_out"]:
            row[0] += " (opted out)"
        rows.append(row)
    t = data["totals"]
    rows.append(
        [
            "TOTAL",
            cell("share", sum((m["share"] for m in data["members"]), Decimal(0))),
            cell("fair_share", t["fair_share"]),
            cell("x", t["credited_cash"]),
            cell("x", t["credited_in_kind"]),
            cell("x", t["credited"]),
            cell("x", t["gap"]),
            cell("x", t["surplus"]),
            cell("met_pct", t["met_pct"]),
        ]
    )
    table = render_table(rows, right=set(range(1, len(STATUS_COLUMNS))))
    foot = [
        "",
        f"target {money(t['target'])} (whole fund {money(t['target_whole_fund'])}); "
        f"credited {money(t['credited'])} = {cell('met_pct', t['met_pct'])}% of target; "
        f"shortfall {money(t['shortfall'])}",
        f"unfunded (opted-out shares left unfunded) {money(t['unfunded'])}; "
        f"rounding of fair shares to cents {money(t['rounding'])}",
        "members in arrears: " + (", ".join(data["members_in_arrears"]) or "none"),
        "scheduled tranches of uncredited multi-year pledges (at the ECB rate of the as-of date):",
        *[
            f"  {f['year']}  {money(f['scheduled'])} of {money(f['target'])} "
            f"({cell('met_pct', f['coverage_pct'])}%)"
            for f in data["predictability"]["years"]
        ],
        "slippage (tranches scheduled for past years, never credited): "
        + (
            "; ".join(f"{s['participant']} {s['year']} {money(s['amount'])}" for s in data["slippage"])
            or "none"
        ),
    ]
    return "\n".join(head) + table + "\n" + "\n".join(foot)


# The HXL hashtags of the status CSV (`--hxl`; hxlstandard.org core hashtags), by column.
STATUS_HXL = [
    "#country +code +member",
    "#indicator +share +num",
    "#value +fair_share",
    "#value +credited +cash",
    "#value +credited +in_kind",
    "#value +credited",
    "#value +gap",
    "#value +surplus",
    "#indicator +met_pct +num",
    "#meta +opted_out",
]


def status_csv(data: dict[str, Any], *, hxl: bool = False) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([k for k, _ in STATUS_COLUMNS] + ["opted_out"])
    if hxl:
        w.writerow(STATUS_HXL)
    for m in data["members"]:
        w.writerow(
            ["" if m[k] is None else str(m[k]) for k, _ in STATUS_COLUMNS] + [str(m["opted_out"]).lower()]
        )
    t = data["totals"]
    w.writerow(
        [
            "TOTAL",
            str(sum((m["share"] for m in data["members"]), Decimal(0))),
            t["fair_share"],
            t["credited_cash"],
            t["credited_in_kind"],
            t["credited"],
            t["gap"],
            t["surplus"],
            "" if t["met_pct"] is None else t["met_pct"],
            "",
        ]
    )
    return out.getvalue()


def _add_flow_parsers(sub: Any) -> None:
    """`fund disburse` and `fund flows`: what the fund spends, and its sources, uses and balance."""
    ds = sub.add_parser("disburse", help="Pay from the fund to a package (never beyond its balance).")
    ds.add_argument("slug")
    ds.add_argument("--package", required=True, type=int, help="The package's id")
    ds.add_argument("--amount", required=True)
    ds.add_argument("--currency", required=True, help="ISO 4217 code")
    ds.add_argument("--date", required=True, help="Value date YYYY-MM-DD")
    ds.add_argument("--notes", default="")
    ds.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
    ds.add_argument("--format", choices=["table", "json"], default="table")

    fl = sub.add_parser("flows", help="Sources, uses and the balance of a fund over time.")
    fl.add_argument("slug")
    fl.add_argument("--as-of", dest="as_of", default=None, help="YYYY-MM-DD (default today)")
    fl.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
    fl.add_argument("--format", choices=["table", "json"], default="table")


def _add_governance_parsers(sub: Any) -> None:
    """Opt-outs, fund creation and key versions."""
    oo = sub.add_parser("opt-out", help="Record a member's constructive abstention.")
    oo.add_argument("slug")
    oo.add_argument("participant")
    oo.add_argument("--reason", default="")
    oo.add_argument(
        "--decision",
        type=int,
        default=None,
        help="Required: the adopted decision that granted it (see `decision show`).",
    )
    oo.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

    cr = sub.add_parser("create", help="Create a fund.")
    cr.add_argument("slug")
    cr.add_argument("--name", required=True)
    cr.add_argument("--target", required=True)
    cr.add_argument("--currency", required=True)
    cr.add_argument("--first-year", dest="first_year", required=True)
    cr.add_argument("--years", required=True)
    cr.add_argument("--group", default="alliance")
    cr.add_argument("--key", required=True)
    cr.add_argument("--policy", default="redistribute", choices=["redistribute", "leave_unfunded"])
    cr.add_argument(
        "--in-kind-credit",
        dest="in_kind_credit",
        default="at_delivery",
        choices=["at_delivery", "at_commitment"],
        help="When a pledge is credited: once delivered (default) or once committed.",
    )
    cr.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

    k = sub.add_parser("key", help="Add a GDP key version (weights from the shipped GDP series).")
    k.add_argument("code")
    k.add_argument("--effective-year", dest="effective_year", required=True)
    k.add_argument("--gdp-year", dest="gdp_year", required=True)
    k.add_argument("--name", default="")
    k.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)


class Command(ClearinghouseCommand):
    help = "The multi-year fund: status, shares, contributions, in-kind credit, opt-outs, keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        sub.add_parser("list", help="Funds.")

        st = sub.add_parser("status", help="Fair share, credited, gap and met % of every member.")
        st.add_argument("slug")
        st.add_argument("--year", type=int, default=None, help="One year instead of cumulative to date.")
        st.add_argument(
            "--as-of", dest="as_of", default=None, help="Today's date for the status (YYYY-MM-DD)."
        )
        st.add_argument("--format", choices=["table", "csv", "json"], default="table")
        st.add_argument(
            "--hxl", action="store_true", help="With --format csv: the HXL hashtag row under the header."
        )

        sh = sub.add_parser("shares", help="Shares in force in a year, exact and rounded.")
        sh.add_argument("slug")
        sh.add_argument("--year", type=int, default=None)
        sh.add_argument("--format", choices=["table", "json"], default="table")

        ls = sub.add_parser("contributions", help="Contributions releasable to an account.")
        ls.add_argument("slug")
        ls.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        ls.add_argument("--format", choices=["table", "json"], default="table")

        c = sub.add_parser("contribute", help="Record a cash contribution.")
        c.add_argument("slug")
        c.add_argument("participant", help="ISO alpha-3 code of the member")
        c.add_argument("amount")
        c.add_argument("currency", help="ISO 4217 code")
        c.add_argument("--date", required=True, help="Value date YYYY-MM-DD")
        c.add_argument("--reference", default="", help="Payment reference (credited once)")
        c.add_argument("--year", default=None, help="Fund year credited (default: the value date's year)")
        c.add_argument("--releasability", default="coordination")
        c.add_argument("--notes", default="")
        c.add_argument(
            "--confirm",
            action="store_true",
            help="Record it even though it is larger than the member's fair share of the whole fund.",
        )
        c.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

        _add_flow_parsers(sub)

        cp = sub.add_parser("credit-pledge", help="Credit a committed or delivered pledge in kind.")
        cp.add_argument("slug")
        cp.add_argument("pledge_id")
        cp.add_argument("--year", default=None)
        cp.add_argument("--date", default=None, help="Value date (default: the pledge's available-from date)")
        cp.add_argument(
            "--confirm",
            action="store_true",
            help="Credit it even though it is worth more than the member's fair share of the whole fund.",
        )
        cp.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

        rv = sub.add_parser(
            "reverse", help="Correct a contribution by a reversal entry (the original is kept as it was)."
        )
        rv.add_argument("contribution_id")
        rv.add_argument(
            "--reason", required=True, help="Why it is reversed (kept in the entry and the audit)."
        )
        rv.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

        _add_governance_parsers(sub)

        sub.add_parser("load-gdp", help="Load the shipped GDP series (idempotent).")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["sub"].replace("-", "_"))(options)

    def _fund(self, slug: str) -> Fund:
        # Status and shares are aggregates that every signed-in user reads; the operator's console
        # reads them like `participants list`, without an account.
        fund = Fund.objects.select_related("group", "burden_key").filter(slug=slug).first()
        if fund is None:
            raise CommandError(f"no fund {slug!r}")
        return cast("Fund", fund)

    def do_list(self, options: dict[str, Any]) -> None:
        for f in Fund.objects.select_related("group", "burden_key").order_by("first_year", "slug"):
            self.stdout.write(
                f"{f.slug}\t{f.name}\t{f.target_amount:,.2f} {f.currency}\t{f.first_year}–{f.last_year}"
                f"\t{f.group.code}\t{f.burden_key.code}\t{f.shortfall_policy}"
            )

    def do_status(self, options: dict[str, Any]) -> None:
        as_of = _date(options["as_of"], "--as-of") if options["as_of"] else None
        fund = self._fund(options["slug"])
        data = status_dict(fund, selectors.status_of(fund, year=options["year"], as_of=as_of))
        if options["format"] == "json":
            # Every amount a decimal string with the fund currency's minor units: never a float.
            self.stdout.write(json.dumps(jsonable_status(data), indent=2, ensure_ascii=False))
        elif options["format"] == "csv":
            self.stdout.write(status_csv(data, hxl=options["hxl"]), ending="")
        else:
            self.stdout.write(status_table(data))

    def do_shares(self, options: dict[str, Any]) -> None:
        fund = self._fund(options["slug"])
        year = options["year"] or fund.first_year
        tables = selectors.share_tables(fund)
        if year not in tables:
            raise CommandError(f"--year: the fund runs from {fund.first_year} to {fund.last_year}")
        data = shares_dict(fund, year, tables[year])
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2))
            return
        rows = [["member", "weight", "exact share", "rounded share", "adjustment"]]
        for m in data["members"]:
            label = m["participant"] + (" (opted out)" if m["opted_out"] else "")
            rows.append([label, m["weight"], m["exact"], m["share"], m["adjustment"]])
        rows.append(["TOTAL paying", "", "", data["paying_total"], ""])
        rows.append(["unfunded", "", "", data["unfunded"], ""])
        self.stdout.write(f"{fund.slug} {year}, policy {data['policy']}, {data['places']} decimals")
        self.stdout.write(render_table(rows, right={1, 2, 3, 4}))

    def do_contributions(self, options: dict[str, Any]) -> None:
        user = self.acting_user(options)
        fund = selectors.get_fund(user=user, slug=options["slug"])
        items = list(selectors.contribution_list(user=user, fund=fund))
        if options["format"] == "json":
            from clearinghouse.funds.schemas import ContributionOut

            out = [ContributionOut.from_orm(c).model_dump(mode="json") for c in items]
            self.stdout.write(json.dumps({"items": out, "count": len(out)}, indent=2))
            return
        for c in items:
            if c.reverses_id:
                note = f"\treverses {c.reverses_id}: {c.reason}"
            else:
                note = f"\treversed by {c.reversed_by.pk}" if c.reversed_by else ""
            self.stdout.write(
                f"{c.pk}\t{c.owner.code}\t{c.kind}\t{c.year}\t{c.amount:,.2f} {c.currency}\t{c.value_date}"
                f"\t{c.converted_amount:,.2f} {fund.currency}\t@{c.fx_rate} ({c.fx_date}{_stale(c)})"
                f"\t{c.reference}{note}"
            )

    def do_disburse(self, options: dict[str, Any]) -> None:
        actor = self.acting_user(options)
        d = services.disburse(
            actor=actor,
            slug=options["slug"],
            data={
                "package": options["package"],
                "amount": options["amount"],
                "currency": options["currency"],
                "value_date": options["date"],
                "notes": options["notes"],
            },
        )
        data = selectors.disbursement_dict(d)
        if options["format"] == "json":
            self.stdout.write(json.dumps(_jsonable(data), indent=2))
            return
        self.stdout.write(
            f"disbursement {d.pk}: {money(d.amount)} {d.currency} to package {d.package_id} on {d.value_date}"
            f" = {money(d.converted_amount)} {data['fund_currency']} @{d.fx_rate} ({d.fx_date})"
        )

    def do_flows(self, options: dict[str, Any]) -> None:
        user = self.acting_user(options)
        fund = selectors.get_fund(user=user, slug=options["slug"])
        as_of = _date(options["as_of"], "--as-of") if options["as_of"] else None
        data = selectors.fund_flows(user=user, fund=fund, as_of=as_of)
        if options["format"] == "json":
            self.stdout.write(json.dumps(_jsonable(data), indent=2))
            return
        self.stdout.write(
            f"{fund.slug} as of {data['as_of']}: sources {money(data['sources'])}, "
            f"uses {money(data['uses'])}, balance {money(data['balance'])} {fund.currency}"
            + ("" if data["complete"] else " (the entries releasable to this account; no balance)")
        )
        for row in data["over_time"]:
            self.stdout.write(
                f"  {row['date']}\t+{money(row['sources'])}\t-{money(row['uses'])}\t{money(row['balance'])}"
            )

    def do_contribute(self, options: dict[str, Any]) -> None:
        actor = self.acting_user(options)
        c = services.record_cash_contribution(
            actor=actor,
            slug=options["slug"],
            data={
                "participant": options["participant"],
                "amount": options["amount"],
                "currency": options["currency"],
                "value_date": options["date"],
                "reference": options["reference"],
                "year": options["year"],
                "releasability": options["releasability"],
                "notes": options["notes"],
            },
            confirm=options["confirm"],
        )
        self.stdout.write(
            f"contribution {c.pk}: {c.owner.code} {c.amount:,.2f} {c.currency} on {c.value_date} = "
            f"{c.converted_amount:,.2f} {c.fund.currency} at {c.fx_rate} (ECB {c.fx_date}{_stale(c)}), "
            f"credited to {c.year}"
        )

    def do_credit_pledge(self, options: dict[str, Any]) -> None:
        actor = self.acting_user(options)
        c = services.credit_pledge(
            actor=actor,
            slug=options["slug"],
            pledge_id=options["pledge_id"],
            year=options["year"],
            value_date=options["date"],
            confirm=options["confirm"],
        )
        self.stdout.write(
            f"contribution {c.pk}: pledge {options['pledge_id']} of {c.owner.code} credited in kind, "
            f"{c.amount:,.2f} {c.currency} = {c.converted_amount:,.2f} {c.fund.currency} "
            f"at {c.fx_rate} (ECB {c.fx_date}{_stale(c)}), year {c.year}"
        )

    def do_reverse(self, options: dict[str, Any]) -> None:
        actor = self.acting_user(options)
        r = services.reverse_contribution(
            actor=actor, slug=None, contribution_id=options["contribution_id"], reason=options["reason"]
        )
        self.stdout.write(
            f"contribution {r.pk} reverses contribution {r.reverses_id} of {r.owner.code} in {r.fund.slug}: "
            f"{r.amount:,.2f} {r.currency} = {r.converted_amount:,.2f} {r.fund.currency} from {r.value_date} "
            f"({r.reason})"
        )

    def do_opt_out(self, options: dict[str, Any]) -> None:
        actor = self.acting_user(options)
        o = services.opt_out(
            actor=actor,
            slug=options["slug"],
            participant=options["participant"],
            reason=options["reason"],
            decision=options["decision"],
        )
        self.stdout.write(f"{o.participant.code} opted out of {o.fund.slug} ({o.fund.shortfall_policy}).")

    def do_create(self, options: dict[str, Any]) -> None:
        actor = self.acting_user(options)
        fund = services.create_fund(
            actor=actor,
            data={
                "slug": options["slug"],
                "name": options["name"],
                "target_amount": options["target"],
                "currency": options["currency"],
                "first_year": options["first_year"],
                "years": options["years"],
                "group": options["group"],
                "burden_key": options["key"],
                "shortfall_policy": options["policy"],
                "in_kind_credit": options["in_kind_credit"],
            },
        )
        self.stdout.write(
            f"fund {fund.slug} created: {fund.first_year}–{fund.last_year}, "
            f"in-kind credit {fund.in_kind_credit}"
        )

    def do_key(self, options: dict[str, Any]) -> None:
        actor = self.acting_user(options)
        v = services.create_key_version(
            actor=actor,
            key=options["code"],
            name=options["name"],
            effective_year=options["effective_year"],
            kind="gdp",
            gdp_year=options["gdp_year"],
        )
        self.stdout.write(f"key {v.key.code}: GDP {v.gdp_year} version effective from {v.effective_year}")

    def do_load_gdp(self, options: dict[str, Any]) -> None:
        counts = services.load_gdp_series()
        self.stdout.write(f"GDP figures: {counts['created']} created, {counts['updated']} updated")
