"""Deterministic synthetic instances that look like clearing-house data.

* 200 item types in 20 families (``"air_defence-03"``).
* Offers are concentrated on popular types: type popularity follows a Zipf law
  (exponent 1.1) over a seed-dependent ranking of the types, and donors are Zipf too.
* Requirements pick a family (popular families more often, but flatter than offers), then
  accept 1-5 types of that family: the first is the preferred one, the others substitutes.
* Weights come from a priority table (critical 1000, high 400, medium 150, low 50).
* Quantities are log-normal; unit costs are small integers; the lateness penalty is 20.
* With ``factors=True``, every item type gets a catalog default factor (the first type of each
  family 1, the others one of :data:`FACTOR_CHOICES`), and a share (:data:`FACTOR_SHARE`) of the
  requirements states factors: the defaults of its accepted types, a few
  (:data:`OVERRIDE_SHARE`) overridden by another choice.  These draws come from a separate
  random stream, so the instance is otherwise the same as without factors.

The same arguments always give the same problem (numpy ``PCG64`` seeded by ``seed``).
"""

from __future__ import annotations

import numpy as np

from .model import Problem, build_arrays

FAMILIES = (
    "air_defence",
    "artillery",
    "ammunition",
    "armour",
    "small_arms",
    "anti_tank",
    "uav",
    "counter_uav",
    "demining",
    "engineering",
    "medical",
    "communications",
    "electronic_warfare",
    "night_vision",
    "protective_gear",
    "vehicles",
    "logistics",
    "fuel",
    "naval",
    "training",
)
TYPES_PER_FAMILY = 10
#: (priority, weight, share of requirements)
PRIORITIES = (("critical", 1000, 0.10), ("high", 400, 0.25), ("medium", 150, 0.40), ("low", 50, 0.25))
N_DONORS = 40
LATENESS_PENALTY = 20
#: Share of requirements with factors, and the factors their substitutes draw from.
FACTOR_SHARE = 0.3
FACTOR_CHOICES = (0.25, 0.5, 1.0, 1.5, 2.0)
#: Share of a factor requirement's accepted types whose factor overrides the catalog default.
OVERRIDE_SHARE = 0.05


def type_names() -> list[str]:
    """All item type names, family by family."""
    return [f"{f}-{j:02d}" for f in FAMILIES for j in range(TYPES_PER_FAMILY)]


def priority_of(weight: float) -> str:
    """Priority label of a generated weight (for grouping in comparisons)."""
    for name, w, _ in PRIORITIES:
        if weight >= w:
            return name
    return PRIORITIES[-1][0]


def generate(
    n_requirements: int, n_offers: int, periods: int, seed: int, *, factors: bool = False
) -> Problem:
    """A realistic random problem; deterministic for a given ``seed`` (and ``factors``)."""
    rng = np.random.default_rng(seed)
    names = type_names()
    n_types = len(names)
    n_fam = len(FAMILIES)

    ranks = rng.permutation(n_types) + 1
    popularity = 1.0 / ranks**1.1
    popularity /= popularity.sum()

    # Offers: type by popularity, quantities log-normal, availability spread over the horizon.
    o_type = rng.choice(n_types, size=n_offers, p=popularity)
    o_qty = np.maximum(1, np.rint(rng.lognormal(2.0, 1.0, n_offers))).astype(np.int64)
    o_avail = rng.integers(0, periods, n_offers)
    o_cost = rng.integers(0, 8, n_offers)
    donor_p = 1.0 / np.arange(1, N_DONORS + 1) ** 1.0
    o_donor = rng.choice(N_DONORS, size=n_offers, p=donor_p / donor_p.sum())

    # Requirements: family (flatter than offers), then 1-5 distinct types of it drawn
    # without replacement by the Gumbel-top-k trick (vectorised over all requirements).
    fam_pop = np.sqrt(popularity.reshape(n_fam, TYPES_PER_FAMILY).sum(axis=1))
    r_fam = rng.choice(n_fam, size=n_requirements, p=fam_pop / fam_pop.sum())
    k = rng.choice([1, 2, 3, 4, 5], size=n_requirements, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    within = np.sqrt(popularity.reshape(n_fam, TYPES_PER_FAMILY))[r_fam]
    keys = np.log(within) + rng.gumbel(size=within.shape)
    picks = np.argsort(-keys, axis=1) + (r_fam * TYPES_PER_FAMILY)[:, None]
    r_qty = np.maximum(1, np.rint(rng.lognormal(3.0, 1.0, n_requirements))).astype(np.int64)
    shares = np.array([p[2] for p in PRIORITIES])
    r_weight = np.array([p[1] for p in PRIORITIES])[
        rng.choice(len(PRIORITIES), size=n_requirements, p=shares)
    ]
    r_need = rng.integers(0, periods, n_requirements)

    width = len(str(max(n_requirements, 1)))
    owidth = len(str(max(n_offers, 1)))
    pick_list = picks.tolist()
    item_types: list[tuple[str, ...] | dict[str, float]] = [
        tuple(names[t] for t in row[:kk]) for row, kk in zip(pick_list, k.tolist(), strict=True)
    ]
    if factors:
        frng = np.random.default_rng([seed, 14])
        default = frng.choice(FACTOR_CHOICES, size=n_types)
        default[::TYPES_PER_FAMILY] = 1.0
        chosen = np.flatnonzero(frng.random(n_requirements) < FACTOR_SHARE).tolist()
        override = frng.random((n_requirements, 5)) < OVERRIDE_SHARE
        draws = frng.choice(FACTOR_CHOICES, size=(n_requirements, 5))
        for i in chosen:
            row = pick_list[i][: k[i]]
            item_types[i] = {
                names[t]: float(draws[i, j] if override[i, j] else default[t]) for j, t in enumerate(row)
            }
    donors = [f"D{d + 1:02d}" for d in range(N_DONORS)]
    arrays = build_arrays(
        periods,
        LATENESS_PENALTY,
        [f"R{i + 1:0{width}d}" for i in range(n_requirements)],
        item_types,
        r_qty.tolist(),
        r_weight.tolist(),
        r_need.tolist(),
        [f"O{i + 1:0{owidth}d}" for i in range(n_offers)],
        [donors[d] for d in o_donor.tolist()],
        [names[t] for t in o_type.tolist()],
        o_qty.tolist(),
        o_avail.tolist(),
        o_cost.tolist(),
    )
    return Problem.from_arrays(arrays)
