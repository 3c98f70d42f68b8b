"""Pure-Python optimisation engine of the clearing house (no Django imports here).

Matches donor offers to requirements so that the total worth is maximal:
one unit of offer ``o`` serving requirement ``r`` is worth
``weight_r - lateness_penalty * max(0, available_from_o - needed_by_r) - unit_cost_o``.

Modules: :mod:`.model` (data types), :mod:`.io` (JSON in/out and validation),
:mod:`.engine` (exact min-cost-flow solver), :mod:`.greedy` (baseline heuristic),
:mod:`.explain` (why a requirement is short / what an allocation displaced),
:mod:`.scenario` (what-if scenarios), :mod:`.generate` (synthetic instances),
:mod:`.bench` (benchmark) and :mod:`.cli` (command line).
"""
