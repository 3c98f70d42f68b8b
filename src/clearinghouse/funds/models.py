"""The multi-year fund: GDP series, burden keys (versioned by effective year), funds with their yearly
targets and opt-outs, and contributions (cash, or pledges credited in kind) in any currency."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.fields import ExactDecimalField
from clearinghouse.core.models import Releasable, RestrictedModel
from clearinghouse.core.money import AmountField, DerivedAmountField, RateField
from clearinghouse.core.releasability import visibility_q
from clearinghouse.funds.choices import BurdenKeyKind, ContributionKind, InKindCredit, ShortfallPolicy


def _finance_q(user: Actor | None) -> Q | None:
    """Finance officers and admins keep the fund's books."""
    if is_signed_in(user) and user.has_role("finance_officer"):
        return Q()
    return None


class GdpFigure(RestrictedModel):
    """One participant's GDP for one year, in EUR billion, with its source (shipped as data)."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="gdp_figures"
    )
    year = models.PositiveSmallIntegerField()
    gdp_eur_bn = ExactDecimalField(max_digits=18, decimal_places=6)
    source = models.CharField(max_length=300)

    class Meta:
        ordering = ("year", "participant__code")
        constraints = [
            models.UniqueConstraint(
                fields=("participant", "year"),
                name="funds_gdp_unique_participant_year",
                violation_error_message="A participant has one GDP figure per year.",
            ),
            models.CheckConstraint(
                condition=Q(gdp_eur_bn__gt=0),
                name="funds_gdp_positive",
                violation_error_message="GDP must be positive.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.year}: {self.gdp_eur_bn} EUR bn"


class BurdenKey(RestrictedModel):
    """A named burden-sharing key; its weights live in versions that take effect in a given year."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return _finance_q(user)


class BurdenKeyVersion(RestrictedModel):
    """The key's weights from `effective_year` on (until a later version takes effect).

    kind `gdp`: weights are the members' GDP of `gdp_year` in EUR billion, copied from the GDP series
    when the version is created (so a later correction of the series never changes a key silently);
    kind `fixed`: weights are percentages of a cost-share formula. Shares are weights / their sum.
    """

    key = models.ForeignKey(BurdenKey, on_delete=models.CASCADE, related_name="versions")
    effective_year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=BurdenKeyKind.choices)
    gdp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("key", "effective_year")
        constraints = [
            models.UniqueConstraint(
                fields=("key", "effective_year"),
                name="funds_keyversion_unique_year",
                violation_error_message="A key has one version per effective year.",
            ),
            models.CheckConstraint(
                condition=Q(kind=BurdenKeyKind.GDP, gdp_year__isnull=False)
                | Q(kind=BurdenKeyKind.FIXED, gdp_year__isnull=True),
                name="funds_keyversion_gdp_year_iff_gdp",
                violation_error_message="A GDP key names its GDP year; a fixed key has none.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key.code} from {self.effective_year}"

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return _finance_q(user)


class BurdenKeyWeight(RestrictedModel):
    """One participant's weight in a key version (GDP in EUR bn, or a percentage)."""

    version = models.ForeignKey(BurdenKeyVersion, on_delete=models.CASCADE, related_name="weights")
    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="+")
    weight = ExactDecimalField(max_digits=18, decimal_places=10)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("version", "participant__code")
        constraints = [
            models.UniqueConstraint(
                fields=("version", "participant"),
                name="funds_keyweight_unique_participant",
                violation_error_message="A participant has one weight per key version.",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0),
                name="funds_keyweight_not_negative",
                violation_error_message="A key weight cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}: {self.weight}"


class Fund(RestrictedModel):
    """A multi-year fund: a target over consecutive years, shared by a key over a contributing group.

    Every signed-in user reads a fund and its compliance (the point of the fund is that everyone sees
    who pays their share); finance officers and admins write.
    """

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    target_amount = AmountField()
    currency = models.CharField(max_length=3)
    first_year = models.PositiveSmallIntegerField()
    years = models.PositiveSmallIntegerField(help_text="Number of years.")
    group = models.ForeignKey("participants.ParticipantGroup", on_delete=models.PROTECT, related_name="funds")
    burden_key = models.ForeignKey(BurdenKey, on_delete=models.PROTECT, related_name="funds")
    shortfall_policy = models.CharField(
        max_length=20, choices=ShortfallPolicy.choices, default=ShortfallPolicy.REDISTRIBUTE
    )
    in_kind_credit = models.CharField(
        max_length=20,
        choices=InKindCredit.choices,
        default=InKindCredit.AT_DELIVERY,
        help_text="When a pledge is credited: once delivered (default) or once committed. Fixed at creation.",
    )
    counts_kinds = models.JSONField(
        default=list, blank=True, help_text="Pledge kinds credited in kind (in_kind, financial); empty: none."
    )
    counts_capabilities = models.JSONField(
        default=list, blank=True, help_text="Capability area codes that count; empty: every area."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("first_year", "slug")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_amount__gt=0),
                name="funds_fund_target_positive",
                violation_error_message="The target must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(years__gte=1) & Q(years__lte=50),
                name="funds_fund_years_range",
                violation_error_message="A fund runs for 1 to 50 years.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def last_year(self) -> int:
        return self.first_year + self.years - 1

    @property
    def year_range(self) -> range:
        return range(self.first_year, self.first_year + self.years)

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return _finance_q(user)


class FundYear(RestrictedModel):
    """The fund's target for one year (the target split evenly unless a schedule was given)."""

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="year_targets")
    year = models.PositiveSmallIntegerField()
    target = AmountField()

    class Meta:
        ordering = ("fund", "year")
        constraints = [
            models.UniqueConstraint(
                fields=("fund", "year"),
                name="funds_fundyear_unique",
                violation_error_message="A fund has one target per year.",
            ),
            models.CheckConstraint(
                condition=Q(target__gte=0),
                name="funds_fundyear_target_not_negative",
                violation_error_message="A yearly target cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.year}: {self.target}"


class FundOptOut(RestrictedModel):
    """A member's constructive abstention from a fund: it owes nothing; the fund's policy decides
    whether its key share is redistributed or left unfunded."""

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="opt_outs")
    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    decision = models.ForeignKey(
        "governance.Decision",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The adopted decision that granted the opt-out (the member's `exempt` position, or a "
        "decision on the opt-out itself).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("fund", "participant__code")
        constraints = [
            models.UniqueConstraint(
                fields=("fund", "participant"),
                name="funds_optout_unique",
                violation_error_message="This member has already opted out of the fund.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} out of {self.fund_id}"

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return _finance_q(user)


class Contribution(Releasable):
    """Money credited to a fund: cash paid, or a pledge credited at its valuation (owner = the member).

    The amount stays in its own currency; `converted_amount` is amount x `fx_rate` (fund currency per
    unit, the ECB rate of `fx_date`) rounded half-even to the fund currency's minor unit. A pledge is
    credited once across all funds, and a member's payment reference once, among the entries in force.

    Entries are never edited or deleted. A correction is a reversal entry (`reverses` names the
    original): the same fund, member, kind, year, currency, rate and pledge, the amounts negated, with
    its `reason`; value-dated like the original (a correction), or on the day a credited pledge was
    withdrawn or declined. An entry is in force while it is not reversed.
    """

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="contributions")
    kind = models.CharField(max_length=10, choices=ContributionKind.choices)
    year = models.PositiveSmallIntegerField(help_text="The fund year credited.")
    amount = AmountField()
    currency = models.CharField(max_length=3)
    value_date = models.DateField()
    converted_amount = DerivedAmountField()
    fx_rate = RateField()
    fx_date = models.DateField()
    pledge = models.ForeignKey(
        "pledges.Pledge", on_delete=models.PROTECT, null=True, blank=True, related_name="fund_credits"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="Payment reference (cash).")
    notes = models.TextField(blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        help_text="The entry this reversal corrects (the original itself is never changed).",
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Why the original was reversed.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("fund", "value_date", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, amount__gt=0, converted_amount__gte=0)
                | Q(reverses__isnull=False, amount__lt=0, converted_amount__lte=0),
                name="funds_contribution_amount_sign",
                violation_error_message="A contribution is positive; its reversal is the negated amount.",
            ),
            models.CheckConstraint(
                condition=Q(fx_rate__gt=0),
                name="funds_contribution_rate_positive",
                violation_error_message="The rate must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, reason="") | Q(reverses__isnull=False) & ~Q(reason=""),
                name="funds_contribution_reversal_has_reason",
                violation_error_message="A reversal gives its reason; an original entry has none.",
            ),
            models.CheckConstraint(
                condition=Q(fx_date__lte=F("value_date")),
                name="funds_contribution_rate_not_after_value_date",
                violation_error_message="The rate used cannot be dated after the value date.",
            ),
            models.CheckConstraint(
                condition=Q(kind=ContributionKind.CASH, pledge__isnull=True)
                | Q(kind=ContributionKind.IN_KIND, pledge__isnull=False),
                name="funds_contribution_pledge_iff_in_kind",
                violation_error_message="An in-kind contribution credits a pledge; cash credits none.",
            ),
        ]
        # "A pledge is credited once" and "a payment is credited once" hold among the entries in force,
        # which a row cannot see of itself: the services check them under a lock of the pledge or member.
        indexes = [models.Index(fields=("fund", "year"), name="funds_contrib_fund_year_idx")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.amount} {self.currency} to {self.fund_id} ({self.year})"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def reversed_by(self) -> Contribution | None:
        """The reversal entry of this one, if it was reversed."""
        try:
            return self.reversal
        except Contribution.DoesNotExist:
            return None

    @classmethod
    def write_q(cls, user: Actor | None, action: str) -> Q | None:
        return _finance_q(user)


class Disbursement(RestrictedModel):
    """What the fund spends: money paid to a package, in any currency, converted to the fund's currency
    at the ECB rate of its value date. Its funder line on the package (`funder`) is the package's record
    of the same money. Never more than the fund's cash balance (funds/services.py)."""

    uses_releasable_to = True

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="disbursements")
    package = models.ForeignKey("packages.Package", on_delete=models.PROTECT, related_name="disbursements")
    funder = models.OneToOneField(
        "packages.PackageFunder", on_delete=models.PROTECT, related_name="disbursement"
    )
    amount = AmountField()
    currency = models.CharField(max_length=3)
    value_date = models.DateField()
    converted_amount = DerivedAmountField()
    fx_rate = RateField()
    fx_date = models.DateField()
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("fund", "value_date", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(converted_amount__gt=0),
                name="funds_disbursement_positive",
                violation_error_message="A disbursement's amount must be positive.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} → package {self.package_id}: {self.amount} {self.currency}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        """Seen with its package (the fund's balance, a sum, is open to every reader of the fund)."""
        return visibility_q(user, prefix="package__")
