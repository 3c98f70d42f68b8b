"""API schemas of the transparency reports: figures in EUR billion as exact decimal strings (null =
withheld), euros as decimal strings with 2 decimals."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from clearinghouse.core.money import FigureOrNoneOut, MoneyOrNoneOut


class ReleaseRef(Schema):
    number: int
    period: str
    date: str
    label: str
    citation: str


class SuppressionOut(Schema):
    min_contributors: int
    protected: bool = Field(
        True,
        description="Whether your figures are protected: true on the public page and for everyone who "
        "does not see every marking (a property of the viewer, never of the data).",
    )
    rule: str


class IllustrativeOut(Schema):
    included: int = Field(description="Illustrative (demo) pledges counted in these figures (signed in).")
    excluded: int = Field(description="Illustrative (demo) pledges left out of these figures (public page).")
    rule: str


class ReportMeta(Schema):
    source: str = Field(description="tracker (the Kiel Institute's figures) or records (the contact group's)")
    source_label: str
    release: ReleaseRef | None = None
    unit: str = "EUR billion"
    suppression: SuppressionOut | None = None
    illustrative: IllustrativeOut | None = Field(
        None, description="Records only: illustrative (demo or training) pledges in or out of the figures."
    )


class TotalsRowOut(Schema):
    period: str
    military: FigureOrNoneOut
    financial: FigureOrNoneOut
    humanitarian: FigureOrNoneOut
    total: FigureOrNoneOut
    commitments: FigureOrNoneOut
    delivered: FigureOrNoneOut = None
    suppressed: bool = False
    suppressed_fields: list[str] = Field(default_factory=list)


class ReportTotalsOut(ReportMeta):
    by: str
    columns: list[str]
    rows: list[TotalsRowOut]


class DonorOut(Schema):
    rank: int | None
    participant: str
    name: str
    kind: str
    value_eur_bn: FigureOrNoneOut
    suppressed: bool = False
    eu_share_bn: FigureOrNoneOut = None
    value_with_eu_share_bn: FigureOrNoneOut = None
    gdp_eur_bn: FigureOrNoneOut = None
    pct_gdp: FigureOrNoneOut = None
    bilateral_pct_gdp: FigureOrNoneOut = None


class DonorsOut(ReportMeta):
    type: str
    per_gdp: bool
    with_eu_share: bool
    from_month: str | None = None
    to_month: str | None = None
    ranked_by: str
    donors: list[DonorOut]


class GroupOut(Schema):
    group: str
    label: str
    members: list[str] = Field(default_factory=list)
    military: FigureOrNoneOut
    financial: FigureOrNoneOut
    humanitarian: FigureOrNoneOut
    total: FigureOrNoneOut
    share_of_military: FigureOrNoneOut = None
    suppressed: bool = False
    suppressed_fields: list[str] = Field(default_factory=list)


class GroupsOut(ReportMeta):
    groups: list[GroupOut]
    all_donors: GroupOut


class WeaponModelOut(Schema):
    name: str
    count: int | None


class WeaponsRowOut(Schema):
    category: str | None = None
    participant: str | None = None
    name: str | None = None
    count: int | None
    value_eur: MoneyOrNoneOut = Field(description="EUR (not billions), a decimal string with 2 decimals.")
    value_eur_bn: FigureOrNoneOut
    models: list[WeaponModelOut] = Field(default_factory=list)
    suppressed: bool = False
    suppressed_fields: list[str] = Field(default_factory=list)


class WeaponsOut(ReportMeta):
    rows: list[WeaponsRowOut]
    by_category: list[WeaponsRowOut]
    by_donor: list[WeaponsRowOut]
