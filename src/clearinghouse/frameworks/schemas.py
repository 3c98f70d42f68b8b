"""API schemas of the frameworks app: amounts and shares are decimal strings, never floats."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from clearinghouse.core.money import MoneyOut, MoneyText, ShareText


class FrameworkOut(Schema):
    slug: str
    title: str
    start: dt.date
    end: dt.date
    target_amount: MoneyOut = Field(description="The target per year, in `currency`.")
    currency: str
    group: str
    burden_key: str
    exempt: list[str] = Field(default_factory=list)
    counts: str
    default_source: str
    source_note: str
    notes: str


class FrameworkMemberOut(Schema):
    participant: str
    name: str
    exempt: bool
    share: ShareText = Field(description="The key share over the participating members (exempt: 0).")
    fair_share: MoneyText = Field(description="yearly target × share × the period in years.")
    actual: MoneyText = Field(description="Military aid in the period from the source.")
    gap: MoneyText = Field(description="fair_share − actual (negative: above the fair share).")


class FrameworkTotalsOut(Schema):
    fair_share: MoneyText
    actual: MoneyText
    gap: MoneyText


class FrameworkStatusOut(Schema):
    framework: str
    title: str
    target: MoneyText = Field(description="The yearly target pro rata over the period.")
    target_per_year: MoneyText
    currency: str
    from_: str = Field(alias="from")
    to: str
    years: str = Field(description="The period in years (days of each year covered / its days), a decimal.")
    source: str
    source_label: str
    burden_key: str
    exempt: list[str] = Field(default_factory=list)
    members: list[FrameworkMemberOut] = Field(default_factory=list)
    totals: FrameworkTotalsOut
