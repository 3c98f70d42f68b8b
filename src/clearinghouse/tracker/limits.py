"""Every figure of a release must fit its column exactly before anything is written.

The columns are `ExactDecimalField`s sized to what the tracker's files hold (see tracker/models.py):
EUR billion with 9 decimals, GDP with 13, shares of GDP with 12, procurement by source with 17
(the files print doubles: 15 significant digits, up to 17 decimals for values below 0.01), euros
with 2. A value that needs more digits or more decimals than its column would be rounded or refused
by the database: it is refused here instead, naming the file, row and column, and nothing is imported.
"""

from __future__ import annotations

from decimal import Decimal

from clearinghouse.core.fields import ExactDecimalField
from clearinghouse.tracker.kiel import KielFormatError, ParsedRelease
from clearinghouse.tracker.models import KielEuShare, KielFlow, KielGdp, KielProcurement, KielWeapons


def _field(model: type, name: str) -> ExactDecimalField:
    field = model._meta.get_field(name)  # type: ignore[attr-defined]  # model: any model class
    assert isinstance(field, ExactDecimalField)
    return field


def _check(value: Decimal, field: ExactDecimalField, file: str, row: int, column: str) -> None:
    quantum = Decimal(1).scaleb(-field.decimal_places)
    if value.is_finite() and field.fits(value) and value == value.quantize(quantum):
        return
    raise KielFormatError(
        file,
        row,
        column,
        f"{value} does not fit exactly: the column keeps at most {field.decimal_places} decimals and "
        f"values up to {field.max_value}",
    )


def check_fits(parsed: ParsedRelease) -> None:
    """Refuse (KielFormatError) the first figure its column cannot hold exactly."""
    flow = _field(KielFlow, "value")
    gdp = _field(KielGdp, "gdp_eur_bn")
    for r in parsed.explorer:
        for column, value in r.values.items():
            _check(value, flow, "data_explorer.csv", r.row, column)
        _check(r.gdp, gdp, "data_explorer.csv", r.row, "gdp")
    for s in parsed.eu_shares:
        for name in ("bilateral_pct_gdp", "eu_share_pct_gdp", "total_pct_gdp", "eu_share_bn"):
            _check(getattr(s, name), _field(KielEuShare, name), "eu_aid_shares.csv", s.row, name)
    for p in parsed.procurement:
        for name in ("stockpile", "procurement", "unspecified", "nato_purl"):
            _check(getattr(p, name), _field(KielProcurement, name), "procurement_trends.csv", p.row, name)
    value_eur = _field(KielWeapons, "value_eur")
    for w in parsed.weapons:
        _check(w.value_eur, value_eur, "weapons.csv", w.row, "monetary_value_eur")
