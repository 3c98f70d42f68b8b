"""Burden shares from a key: exact fractions, then largest-remainder rounding that sums to exactly 1.

Pure Python (no Django), so that the rule a reader checks is the code the tests exercise.

* `redistribute`: the members who pay share 1 in proportion to their key weights; an opted-out
  member's part is carried by the others.
* `leave_unfunded`: every member's key share is computed over the whole group; an opted-out member
  pays 0 and its key share stays `unfunded`, so the paying shares plus `unfunded` sum to exactly 1.

Rounding: each exact share w/W is cut to `places` decimals (floor); the units still missing to reach 1
go, one quantum each, to the largest remainders (ties: participant code). Every rounded share is
therefore within one quantum of the exact one, and the adjustment (rounded - exact) is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

DEFAULT_PLACES = 10
REDISTRIBUTE = "redistribute"
LEAVE_UNFUNDED = "leave_unfunded"


class ShareError(ValueError):
    """The key cannot produce shares (a member without weight, negative weights, nothing to share)."""


@dataclass(frozen=True)
class MemberShare:
    """One member's share: the key weight, the exact fraction, its rounded value and the adjustment."""

    participant: str
    weight: Decimal
    opted_out: bool
    exact: Fraction
    share: Decimal

    @property
    def exact_decimal(self) -> Decimal:
        """The exact share shown to 20 decimals (display only; `exact` is the true value)."""
        return fraction_to_decimal(self.exact, 20)

    @property
    def adjustment(self) -> Decimal:
        """rounded - exact, to 20 decimals: what the largest-remainder rounding moved."""
        return fraction_to_decimal(Fraction(self.share) - self.exact, 20)


@dataclass(frozen=True)
class ShareTable:
    """Shares of every member of the contributing group under one policy."""

    policy: str
    places: int
    members: tuple[MemberShare, ...]
    unfunded: Decimal
    unfunded_exact: Fraction

    def share_of(self, participant: str) -> Decimal:
        for m in self.members:
            if m.participant == participant:
                return m.share
        raise KeyError(participant)

    @property
    def paying_total(self) -> Decimal:
        """Sum of the paying members' rounded shares (1 under redistribute; 1 - unfunded otherwise)."""
        return sum((m.share for m in self.members), Decimal(0))


def fraction_to_decimal(value: Fraction, places: int) -> Decimal:
    """A fraction as a Decimal with `places` decimals, rounded half-even (for display)."""
    quantum = Decimal(1).scaleb(-places)
    scaled = value * 10**places
    n, d = scaled.numerator, scaled.denominator
    q, r = divmod(n, d)
    # half-even on the exact remainder
    if 2 * r > d or (2 * r == d and q % 2 == 1):
        q += 1
    return (Decimal(q) * quantum).quantize(quantum)


def largest_remainder(exact: Mapping[str, Fraction], total_units: int) -> dict[str, int]:
    """Integer units per key, summing to `total_units`, each floor(exact) or floor(exact) + 1."""
    floors = {k: v.numerator // v.denominator for k, v in exact.items()}
    missing = total_units - sum(floors.values())
    if missing < 0 or missing > len(exact):
        raise ShareError("the exact values do not sum to the total")  # cannot happen for true fractions
    order = sorted(exact, key=lambda k: (-(exact[k] - floors[k]), k))
    for k in order[:missing]:
        floors[k] += 1
    return floors


def compute_shares(
    weights: Mapping[str, Decimal],
    *,
    members: Iterable[str] | None = None,
    opted_out: Iterable[str] = (),
    policy: str = REDISTRIBUTE,
    places: int = DEFAULT_PLACES,
) -> ShareTable:
    """Shares of `members` (default: every key entry) from key `weights`, under a shortfall policy."""
    if policy not in (REDISTRIBUTE, LEAVE_UNFUNDED):
        raise ShareError(f"unknown shortfall policy {policy!r}")
    group = sorted(set(members) if members is not None else set(weights))
    if not group:
        raise ShareError("the contributing group has no members")
    missing = [m for m in group if m not in weights]
    if missing:
        raise ShareError(f"the key has no weight for {', '.join(missing)}")
    negative = [m for m in group if weights[m] < 0]
    if negative:
        raise ShareError(f"negative key weight for {', '.join(negative)}")
    out = set(opted_out) & set(group)
    paying = [m for m in group if m not in out]
    scale = 10**places
    # redistribute: shares over the payers; leave_unfunded: over everyone, the opted-out part unpaid.
    base = list(paying) if policy == REDISTRIBUTE else list(group)
    total = sum((Fraction(weights[m]) for m in base), Fraction(0))
    if total <= 0:
        raise ShareError("the paying members' key weights sum to zero: nothing to share")
    exact = {m: Fraction(weights[m]) / total for m in base}
    units = largest_remainder({m: v * scale for m, v in exact.items()}, scale)
    quantum = Decimal(1).scaleb(-places)
    rows = []
    for m in group:
        if m in out:
            rows.append(MemberShare(m, Decimal(weights[m]), True, Fraction(0), Decimal(0).quantize(quantum)))
        else:
            rows.append(MemberShare(m, Decimal(weights[m]), False, exact[m], Decimal(units[m]) * quantum))
    if policy == LEAVE_UNFUNDED:
        unfunded_units = sum(units[m] for m in out)
        unfunded_exact = sum((exact[m] for m in out), Fraction(0))
    else:
        unfunded_units, unfunded_exact = 0, Fraction(0)
    return ShareTable(
        policy=policy,
        places=places,
        members=tuple(rows),
        unfunded=(Decimal(unfunded_units) * quantum).quantize(quantum),
        unfunded_exact=unfunded_exact,
    )
