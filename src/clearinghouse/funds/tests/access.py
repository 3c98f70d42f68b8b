"""Who may use this app's API operations and pages (merged into tests/access.py).

Everyone signed in reads funds and compliance; finance officers and admins write. A contribution
itself follows its releasability: the one set up here is DEU's, marked `owner`.
"""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, Rule

FINANCE = frozenset({"finance", "admin"})
# Who sees an `owner`-marked contribution of DEU: DEU's officer, the coordinating body's users
# (coordinator, finance, analyst, auditor, admin).
DEU_OWNER = frozenset({"donor_deu", "coordinator", "finance", "analyst", "auditor", "admin"})


def _fund(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.funds.tests.factories import trio_fund

    return {"slug": trio_fund(p["admin"]).slug}


def _fund_only(p: dict[str, Any]) -> dict[str, Any]:
    _fund(p)
    return {}


def _key(p: dict[str, Any]) -> dict[str, Any]:
    _fund(p)
    return {"code": "trio-key"}


def _gdp(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.funds.services import load_gdp_series

    load_gdp_series()
    return {}


def _opted_out(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.funds.tests.factories import opt_out

    values = _fund(p)
    opt_out(p["admin"], values["slug"], "POL")
    return {**values, "participant": "POL"}


def _opt_out_body(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.funds.tests.factories import exemption

    # An opt-out cites the adopted decision that granted it (made here, after the fund's setup).
    return {"participant": "POL", "reason": "abstains", "decision": exemption(p["admin"], "trio", "POL")}


def _contribution(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.funds.tests.factories import cash

    values = _fund(p)
    c = cash(p["admin"], values["slug"], "DEU", "1000.00", "EUR", "2024-03-01", releasability="owner")
    return {**values, "contribution_id": c.pk}


def _cash_and_package(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.packages.tests.access import _package

    _package(p)
    return _contribution(p)


def _disbursement_body(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.packages.models import Package

    package = Package.objects.get(title="Matrix package")
    return {"package": package.pk, "amount": "100.00", "currency": "EUR", "value_date": "2024-06-01"}


def _pledge_body(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.funds.tests.factories import committed_pledge

    # Created once per persona inside the matrix's rolled-back transaction (body runs after setup).
    return {"pledge_id": committed_pledge(p).pk, "year": 2025}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/funds"): Rule(ALL, setup=_fund),
    ("POST", "/api/v1/funds"): Rule(
        FINANCE,
        ok=(201,),
        setup=_fund_only,
        body=lambda p: {
            "slug": "new-fund",
            "name": "New fund",
            "target_amount": "300.00",
            "currency": "EUR",
            "first_year": 2025,
            "years": 3,
            "group": "trio",
            "burden_key": "trio-key",
        },
    ),
    ("GET", "/api/v1/burden-keys"): Rule(ALL, setup=_key),
    ("POST", "/api/v1/burden-keys"): Rule(
        FINANCE,
        ok=(201,),
        setup=_gdp,
        body=lambda p: {"key": "gdp-key", "effective_year": 2025, "kind": "gdp", "gdp_year": 2021},
    ),
    ("GET", "/api/v1/burden-keys/{code}"): Rule(ALL, setup=_key),
    ("GET", "/api/v1/gdp"): Rule(ALL, setup=_gdp),
    ("GET", "/api/v1/funds/{slug}"): Rule(ALL, setup=_fund),
    ("PATCH", "/api/v1/funds/{slug}"): Rule(FINANCE, setup=_fund, body=lambda p: {"notes": "changed"}),
    ("GET", "/api/v1/funds/{slug}/status"): Rule(ALL, setup=_fund, query="year=2024"),
    ("GET", "/api/v1/funds/{slug}/shares"): Rule(ALL, setup=_fund),
    ("GET", "/api/v1/funds/{slug}/opt-outs"): Rule(ALL, setup=_opted_out),
    ("POST", "/api/v1/funds/{slug}/opt-outs"): Rule(FINANCE, ok=(201,), setup=_fund, body=_opt_out_body),
    ("DELETE", "/api/v1/funds/{slug}/opt-outs/{participant}"): Rule(FINANCE, ok=(204,), setup=_opted_out),
    ("GET", "/api/v1/funds/{slug}/contributions"): Rule(ALL, setup=_contribution),
    ("POST", "/api/v1/funds/{slug}/contributions"): Rule(
        FINANCE,
        ok=(201,),
        setup=_fund,
        body=lambda p: {
            "participant": "FRA",
            "amount": "2500.00",
            "currency": "USD",
            "value_date": "2024-01-02",
        },
    ),
    ("GET", "/api/v1/funds/{slug}/contributions/{contribution_id}"): Rule(
        DEU_OWNER, setup=_contribution, denied=(404,)
    ),
    ("POST", "/api/v1/funds/{slug}/pledge-credits"): Rule(FINANCE, ok=(201,), setup=_fund, body=_pledge_body),
    # Sources and uses: every reader of the fund (the balance only to those who see every entry).
    ("GET", "/api/v1/funds/{slug}/disbursements"): Rule(ALL, setup=_cash_and_package),
    ("POST", "/api/v1/funds/{slug}/disbursements"): Rule(
        FINANCE, ok=(201,), setup=_cash_and_package, body=_disbursement_body, denied=(403,)
    ),
    ("POST", "/api/v1/funds/{slug}/contributions/{contribution_id}/reversal"): Rule(
        FINANCE, ok=(201,), setup=_contribution, body=lambda p: {"reason": "typo in the amount"}
    ),
}

PAGES: dict[str, Rule] = {
    "fund-list": Rule(ALL, setup=_fund_only),
    "fund-detail": Rule(ALL, setup=_fund),
    "fund-shares": Rule(ALL, setup=_fund),
    "fund-contributions": Rule(ALL, setup=_fund),
    "fund-contribute": Rule(FINANCE, setup=_fund, denied=(403,)),
    "fund-credit-pledge": Rule(FINANCE, setup=_fund, denied=(403,)),
    "fund-contribution-reverse": Rule(FINANCE, setup=_contribution, denied=(403,)),
    "burden-key-detail": Rule(ALL, setup=_key),
    "fund-create": Rule(FINANCE, denied=(403,)),
    "burden-key-create": Rule(FINANCE, denied=(403,)),
}
