"""Data model of the matching problem.

The public API speaks in small frozen dataclasses (:class:`Requirement`, :class:`Offer`,
:class:`Problem`, :class:`Allocation`, :class:`Result`).  Instances with hundreds of
thousands of elements would be slow to build as objects, so every :class:`Problem` also
carries a validated columnar copy (:class:`ProblemArrays`, numpy arrays plus id lists).
The JSON reader, the generator and the scenario code build that columnar form directly
and expose it through :class:`RequirementTable` / :class:`OfferTable`, which are
read-only sequences that create the dataclasses only when an element is looked at.
Whichever way a problem was made, the engine only ever reads ``problem.arrays``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import operator
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Largest quantity accepted; keeps every sum of quantities far inside int64.
MAX_QUANTITY = 10**12
#: Largest magnitude of a weight, unit cost or lateness penalty.
MAX_MAGNITUDE = 1e12
#: Largest number of periods.
MAX_PERIODS = 10**6
#: Largest equivalence factor of an item type for a requirement (factors lie in (0, MAX_FACTOR]).
MAX_FACTOR = 10

T = TypeVar("T")


class ProblemError(ValueError):
    """An invalid problem or scenario.

    The message is a single line naming the offending element and what is wrong with it,
    e.g. ``requirements[3] (id "R4"): quantity must be a non-negative integer, got -5``.
    """


@dataclass(frozen=True, slots=True)
class Requirement:
    """A need: ``quantity`` units of any of ``item_types``, wanted by period ``needed_by``.

    ``factors`` (parallel to ``item_types``, ``None`` = 1 each) are the equivalence factors:
    one unit of ``item_types[k]`` provides ``factors[k]`` units of the requirement.
    """

    id: str
    item_types: tuple[str, ...]
    quantity: int
    weight: float
    needed_by: int
    factors: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """A donor's pledge: ``quantity`` units of ``item_type`` available from ``available_from``."""

    id: str
    donor: str
    item_type: str
    quantity: int
    available_from: int
    unit_cost: float = 0.0


@dataclass(frozen=True, slots=True)
class Allocation:
    """``quantity`` units of offer ``offer`` assigned to requirement ``requirement`` (ids).

    ``provides`` is ``quantity × factor`` in the requirement's units (``None``: same as quantity).
    """

    requirement: str
    offer: str
    quantity: int
    provides: float | None = None

    @property
    def provided(self) -> float:
        """Units of the requirement this allocation provides."""
        return self.quantity if self.provides is None else self.provides


def show(value: Any) -> str:
    """Render a value for an error message the way it looks in JSON."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def element_label(kind: str, index: int, ident: Any) -> str:
    """``offers[7] (id "O8")``, or ``offers[7]`` when the element has no usable id."""
    if isinstance(ident, str):
        return f"{kind}[{index}] (id {show(ident)})"
    return f"{kind}[{index}]"


def check_periods(periods: Any) -> int:
    """Validate the number of periods."""
    if type(periods) is not int or not 1 <= periods <= MAX_PERIODS:
        raise ProblemError(f"periods must be an integer in 1..{MAX_PERIODS}, got {show(periods)}")
    return periods


def check_penalty(penalty: Any) -> float:
    """Validate the lateness penalty (a finite non-negative number)."""
    if type(penalty) not in (int, float) or not math.isfinite(penalty) or not 0 <= penalty <= MAX_MAGNITUDE:
        raise ProblemError(f"lateness_penalty must be a non-negative number, got {show(penalty)}")
    return penalty  # type: ignore[no-any-return]  # checked numeric above


# --------------------------------------------------------------------------- column checks
# Every check first tests the whole column with C-level builtins (set(map(type, ...)),
# min/max, numpy) and only walks element by element to word the error once something is
# known to be wrong: validation of 250k elements must cost milliseconds, not seconds.

Label = Callable[[int], str]


def _first(column: Sequence[Any], bad: Callable[[Any], bool]) -> int:
    return next(i for i, v in enumerate(column) if bad(v))


def _strings(column: Sequence[Any], name: str, label: Label) -> None:
    if not column:
        return
    # ``"" in column`` compares lengths first and is the cheapest emptiness test.
    if set(map(type, column)) != {str} or "" in column:
        i = _first(column, lambda v: type(v) is not str or not v)
        raise ProblemError(f"{label(i)}: {name} must be a non-empty string, got {show(column[i])}")


def _integers(column: Sequence[Any], name: str, label: Label, lo: int, hi: int, what: str) -> IntArray:
    if not column:
        return np.zeros(0, dtype=np.int64)
    if set(map(type, column)) != {int}:
        i = _first(column, lambda v: type(v) is not int)
        raise ProblemError(f"{label(i)}: {name} must be {what}, got {show(column[i])}")
    try:
        arr = np.fromiter(column, dtype=np.int64, count=len(column))
    except OverflowError:
        arr = None
    if arr is None or int(arr.min()) < lo or int(arr.max()) > hi:
        i = _first(column, lambda v: not lo <= v <= hi)
        v = column[i]
        if name in ("needed_by", "available_from"):
            raise ProblemError(f"{label(i)}: {name} {v} is out of range {lo}..{hi}")
        if v < lo:
            raise ProblemError(f"{label(i)}: {name} must be {what}, got {show(v)}")
        raise ProblemError(f"{label(i)}: {name} {v} exceeds the maximum {hi}")
    # (fromiter above: np.array() on a list of Python ints is ~30x slower.)
    return arr


def _numbers(column: Sequence[Any], name: str, label: Label, non_negative: bool) -> FloatArray:
    what = "a non-negative number" if non_negative else "a number"
    if not column:
        return np.zeros(0, dtype=np.float64)
    if not set(map(type, column)) <= {int, float}:
        i = _first(column, lambda v: type(v) not in (int, float))
        raise ProblemError(f"{label(i)}: {name} must be {what}, got {show(column[i])}")
    arr = np.fromiter(column, dtype=np.float64, count=len(column))
    lo = 0.0 if non_negative else -MAX_MAGNITUDE
    ok = np.isfinite(arr) & (arr >= lo) & (arr <= MAX_MAGNITUDE)
    if not ok.all():
        i = int(np.argmin(ok))
        v = column[i]
        if math.isfinite(v) and abs(v) > MAX_MAGNITUDE:
            raise ProblemError(
                f"{label(i)}: {name} {show(v)} exceeds the maximum magnitude {MAX_MAGNITUDE:g}"
            )
        raise ProblemError(f"{label(i)}: {name} must be {what}, got {show(v)}")
    return arr


def _as_list(values: Sequence[T]) -> list[T]:
    return values if isinstance(values, list) else list(values)


def _unique_ids(ids: Sequence[Any], kind: str, noun: str, label: Label) -> None:
    # Type check first (a list id would make set() fail); the set then serves both the
    # emptiness test and the duplicate test.
    if ids and set(map(type, ids)) != {str}:
        _strings(ids, "id", label)  # raises, naming the first non-string id
    distinct = set(ids)
    if "" in distinct:
        _strings(ids, "id", label)  # raises, naming the first empty id
    if len(distinct) != len(ids):
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if ident in seen:
                raise ProblemError(f"duplicate {noun} id {show(ident)} at {kind}[{i}]")
            seen.add(ident)


@dataclass(frozen=True, eq=False)
class ProblemArrays:
    """Validated columnar form of a problem (the engine's input).

    Item types are coded as integers indexing ``type_names``.  The accepted types of
    requirement ``i`` are ``rt_type[rt_ptr[i]:rt_ptr[i + 1]]`` (duplicates removed, the
    order of first mention kept).  Weights and costs are float64 in original units.
    """

    periods: int
    lateness_penalty: float
    type_names: list[str]
    req_ids: list[str]
    req_qty: IntArray
    req_weight: FloatArray
    req_need: IntArray
    rt_ptr: IntArray
    rt_type: IntArray
    off_ids: list[str]
    off_donor: list[str]
    off_type: IntArray
    off_qty: IntArray
    off_avail: IntArray
    off_cost: FloatArray
    #: Factor of every (requirement, accepted type) entry, parallel to ``rt_type``; ``None`` when
    #: every factor is 1 (the list form everywhere).
    rt_factor: FloatArray | None = None

    @property
    def has_factors(self) -> bool:
        """Whether some factor differs from 1."""
        return self.rt_factor is not None and bool(np.any(self.rt_factor != 1.0))

    def factor_of(self, req: IntArray, off: IntArray) -> FloatArray:
        """Factor of offer ``off[k]``'s item type for requirement ``req[k]`` (1 without factors)."""
        if self.rt_factor is None or req.size == 0:
            return np.ones(req.size, dtype=np.float64)
        n_types = len(self.type_names)
        key = self.rt_req * n_types + self.rt_type
        order = np.argsort(key, kind="stable")
        skey = key[order]
        want = req * n_types + self.off_type[off]
        pos = np.minimum(np.searchsorted(skey, want), max(skey.size - 1, 0))
        if skey.size == 0 or np.any(skey[pos] != want):
            raise ProblemError("an allocation pairs an offer with a requirement not accepting its item type")
        return self.rt_factor[order[pos]]

    @property
    def n_requirements(self) -> int:
        """Number of requirements."""
        return len(self.req_ids)

    @property
    def n_offers(self) -> int:
        """Number of offers."""
        return len(self.off_ids)

    @cached_property
    def rt_req(self) -> IntArray:
        """Requirement index of every (requirement, accepted type) entry."""
        return np.repeat(np.arange(self.n_requirements, dtype=np.int64), np.diff(self.rt_ptr))

    @cached_property
    def req_index(self) -> dict[str, int]:
        """Requirement id -> position."""
        return {r: i for i, r in enumerate(self.req_ids)}

    @cached_property
    def off_index(self) -> dict[str, int]:
        """Offer id -> position."""
        return {o: i for i, o in enumerate(self.off_ids)}

    def requirement(self, i: int) -> Requirement:
        """Materialise requirement ``i`` as a dataclass."""
        names = self.type_names
        lo, hi = int(self.rt_ptr[i]), int(self.rt_ptr[i + 1])
        types = tuple(names[t] for t in self.rt_type[lo:hi].tolist())
        factors = None if self.rt_factor is None else tuple(self.rt_factor[lo:hi].tolist())
        return Requirement(
            self.req_ids[i],
            types,
            int(self.req_qty[i]),
            float(self.req_weight[i]),
            int(self.req_need[i]),
            factors,
        )

    def offer(self, i: int) -> Offer:
        """Materialise offer ``i`` as a dataclass."""
        return Offer(
            self.off_ids[i],
            self.off_donor[i],
            self.type_names[int(self.off_type[i])],
            int(self.off_qty[i]),
            int(self.off_avail[i]),
            float(self.off_cost[i]),
        )

    def with_parameters(self, periods: int, lateness_penalty: float) -> ProblemArrays:
        """Same columns under another horizon / penalty (re-checking the period ranges)."""
        if periods == self.periods and lateness_penalty == self.lateness_penalty:
            return self
        check_periods(periods)
        check_penalty(lateness_penalty)
        for kind, col, name in (
            ("requirements", self.req_need, "needed_by"),
            ("offers", self.off_avail, "available_from"),
        ):
            if col.size and int(col.max()) >= periods:
                i = int(np.argmax(col >= periods))
                ids = self.req_ids if kind == "requirements" else self.off_ids
                raise ProblemError(
                    f"{element_label(kind, i, ids[i])}: {name} {int(col[i])} is out of range 0..{periods - 1}"
                )
        return dataclasses.replace(self, periods=periods, lateness_penalty=lateness_penalty)


def _type_codes(
    flat: list[str], lengths: list[int], off_type: Sequence[str], flat_factors: list[float] | None
) -> tuple[list[str], IntArray, IntArray, IntArray, FloatArray | None]:
    """Item types coded as integers: (names, requirement pointers, accepted types, offer types,
    factors parallel to the accepted types or ``None`` when all are 1)."""
    # Type codes in order of first mention; requirement types first so that the codes
    # of needed types are dense.
    type_names = list(dict.fromkeys(chain(flat, off_type)))
    code = {t: i for i, t in enumerate(type_names)}
    rt_type = np.fromiter(map(code.__getitem__, flat), dtype=np.int64, count=len(flat))
    rt_ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=rt_ptr[1:])
    if flat:
        # Drop repeated types within a requirement (["A", "A"] means "A"), keeping the
        # order of first mention.
        rt_req = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        key = rt_req * len(type_names) + rt_type
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        dup = sorted_key[1:] == sorted_key[:-1]
        if dup.any():
            keep = np.ones(key.size, dtype=bool)
            keep[order[1:][dup]] = False
            rt_type = rt_type[keep]
            rt_ptr[1:] = np.cumsum(np.bincount(rt_req[keep], minlength=len(lengths)))
            if flat_factors is not None:
                flat_factors = [f for f, k in zip(flat_factors, keep.tolist(), strict=True) if k]
    rt_factor = None
    if flat_factors is not None:
        rt_factor = np.fromiter(flat_factors, dtype=np.float64, count=len(flat_factors))
        if np.all(rt_factor == 1.0):
            rt_factor = None
    otype = np.fromiter(map(code.__getitem__, off_type), dtype=np.int64, count=len(off_type))
    return type_names, rt_ptr, rt_type, otype, rt_factor


def build_arrays(
    periods: Any,
    lateness_penalty: Any,
    req_ids: Sequence[Any],
    req_types: Sequence[Any],
    req_qty: Sequence[Any],
    req_weight: Sequence[Any],
    req_need: Sequence[Any],
    off_ids: Sequence[Any],
    off_donor: Sequence[Any],
    off_type: Sequence[Any],
    off_qty: Sequence[Any],
    off_avail: Sequence[Any],
    off_cost: Sequence[Any],
    *,
    offer_kind: str = "offers",
) -> ProblemArrays:
    """Validate raw columns (Python lists of JSON-like values) into :class:`ProblemArrays`.

    Raises :class:`ProblemError` naming the first offending element.
    """
    P = check_periods(periods)
    lam = check_penalty(lateness_penalty)

    def rlabel(i: int) -> str:
        return element_label("requirements", i, req_ids[i])

    def olabel(i: int) -> str:
        return element_label(offer_kind, i, off_ids[i])

    _unique_ids(req_ids, "requirements", "requirement", lambda i: f"requirements[{i}]")
    flat_factors: list[float] | None = None
    if req_types and dict in set(map(type, req_types)):
        req_types, flat_factors = _split_factors(req_types, rlabel)
    if req_types and not set(map(type, req_types)) <= {list, tuple}:
        i = _first(req_types, lambda v: type(v) not in (list, tuple))
        raise ProblemError(
            f"{rlabel(i)}: item_types must be a non-empty list of strings, got {show(req_types[i])}"
        )
    lengths = list(map(len, req_types))
    flat = list(chain.from_iterable(req_types))
    if (lengths and min(lengths) == 0) or (flat and (set(map(type, flat)) != {str} or "" in flat)):
        i = _first(req_types, lambda v: not v or any(type(t) is not str or not t for t in v))
        raise ProblemError(
            f"{rlabel(i)}: item_types must be a non-empty list of strings, got {show(req_types[i])}"
        )
    qty = _integers(req_qty, "quantity", rlabel, 0, MAX_QUANTITY, "a non-negative integer")
    weight = _numbers(req_weight, "weight", rlabel, non_negative=False)
    need = _integers(req_need, "needed_by", rlabel, 0, P - 1, "an integer period")

    _unique_ids(off_ids, offer_kind, "offer", lambda i: f"{offer_kind}[{i}]")
    _strings(off_donor, "donor", olabel)
    _strings(off_type, "item_type", olabel)
    oqty = _integers(off_qty, "quantity", olabel, 0, MAX_QUANTITY, "a non-negative integer")
    avail = _integers(off_avail, "available_from", olabel, 0, P - 1, "an integer period")
    cost = _numbers(off_cost, "unit_cost", olabel, non_negative=True)

    type_names, rt_ptr, rt_type, otype, rt_factor = _type_codes(flat, lengths, off_type, flat_factors)
    return ProblemArrays(
        periods=P,
        lateness_penalty=lam,
        type_names=type_names,
        req_ids=_as_list(req_ids),
        req_qty=qty,
        req_weight=weight,
        req_need=need,
        rt_ptr=rt_ptr,
        rt_type=rt_type,
        off_ids=_as_list(off_ids),
        off_donor=_as_list(off_donor),
        off_type=otype,
        off_qty=oqty,
        off_avail=avail,
        off_cost=cost,
        rt_factor=rt_factor,
    )


def check_factor(value: Any) -> bool:
    """Whether ``value`` is a valid equivalence factor: a number > 0 and at most :data:`MAX_FACTOR`."""
    return type(value) in (int, float) and math.isfinite(value) and 0 < value <= MAX_FACTOR


def _split_factors(req_types: Sequence[Any], label: Label) -> tuple[list[Any], list[float]]:
    """Turn ``item_types`` given as lists or ``{"CODE": factor}`` objects into lists of codes and
    the flat list of factors (1 for list entries), naming the first bad element."""
    types: list[Any] = []
    factors: list[float] = []
    for i, value in enumerate(req_types):
        if type(value) is dict:
            if not value:
                raise ProblemError(
                    f"{label(i)}: item_types must be a non-empty list of strings or an object of "
                    f"factors, got {show(value)}"
                )
            for code, factor in value.items():
                if not code:
                    raise ProblemError(f"{label(i)}: item_types has an empty item type code")
                if not check_factor(factor):
                    raise ProblemError(
                        f"{label(i)}: item_types factor of {show(code)} must be a number > 0 and at most "
                        f"{MAX_FACTOR}, got {show(factor)}"
                    )
                factors.append(float(factor))
            types.append(list(value))
        else:
            types.append(value)
            if type(value) in (list, tuple):
                factors.extend([1.0] * len(value))
    return types, factors


def _arrays_from_objects(
    periods: Any, penalty: Any, requirements: Sequence[Any], offers: Sequence[Any]
) -> ProblemArrays:
    for kind, items, cls in (("requirements", requirements, Requirement), ("offers", offers, Offer)):
        for i, item in enumerate(items):
            if not isinstance(item, cls):
                raise ProblemError(f"{kind}[{i}]: expected a {cls.__name__}, got {type(item).__name__}")
    reqs: Sequence[Requirement] = requirements
    offs: Sequence[Offer] = offers
    return build_arrays(
        periods,
        penalty,
        [r.id for r in reqs],
        [
            r.item_types if r.factors is None else dict(zip(r.item_types, r.factors, strict=True))
            for r in reqs
        ],
        [r.quantity for r in reqs],
        [r.weight for r in reqs],
        [r.needed_by for r in reqs],
        [o.id for o in offs],
        [o.donor for o in offs],
        [o.item_type for o in offs],
        [o.quantity for o in offs],
        [o.available_from for o in offs],
        [o.unit_cost for o in offs],
    )


class _Table(Sequence[T]):
    """Read-only sequence over a :class:`ProblemArrays` that materialises elements lazily."""

    __slots__ = ("arrays",)

    def __init__(self, arrays: ProblemArrays) -> None:
        self.arrays = arrays

    @abstractmethod
    def _make(self, i: int) -> T:
        """The element at position `i`, built on demand."""

    @abstractmethod
    def __len__(self) -> int: ...

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        n = len(self)
        if isinstance(index, slice):
            return tuple(self._make(i) for i in range(*index.indices(n)))
        i = operator.index(index)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(index)
        return self._make(i)

    def __iter__(self) -> Iterator[T]:
        return (self._make(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class RequirementTable(_Table[Requirement]):
    """The requirements of a :class:`ProblemArrays` as a sequence of :class:`Requirement`."""

    __slots__ = ()

    def __len__(self) -> int:
        return self.arrays.n_requirements

    def _make(self, i: int) -> Requirement:
        return self.arrays.requirement(i)

    def __repr__(self) -> str:
        return f"RequirementTable({len(self)} requirements)"


class OfferTable(_Table[Offer]):
    """The offers of a :class:`ProblemArrays` as a sequence of :class:`Offer`."""

    __slots__ = ()

    def __len__(self) -> int:
        return self.arrays.n_offers

    def _make(self, i: int) -> Offer:
        return self.arrays.offer(i)

    def __repr__(self) -> str:
        return f"OfferTable({len(self)} offers)"


@dataclass(frozen=True)
class Problem:
    """A matching problem: periods are ``0..periods-1``.

    ``requirements`` and ``offers`` may be any sequences of :class:`Requirement` /
    :class:`Offer` (lists are frozen into tuples) or the lazy tables of a
    :class:`ProblemArrays`.  Construction validates everything and raises
    :class:`ProblemError` on the first problem found.
    """

    periods: int
    lateness_penalty: float
    requirements: Sequence[Requirement]
    offers: Sequence[Offer]
    _arrays: ProblemArrays = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        reqs, offs = self.requirements, self.offers
        if isinstance(reqs, RequirementTable) and isinstance(offs, OfferTable) and reqs.arrays is offs.arrays:
            arrays = reqs.arrays.with_parameters(self.periods, self.lateness_penalty)
        else:
            if not isinstance(reqs, _Table):
                reqs = tuple(reqs)
                object.__setattr__(self, "requirements", reqs)
            if not isinstance(offs, _Table):
                offs = tuple(offs)
                object.__setattr__(self, "offers", offs)
            arrays = _arrays_from_objects(self.periods, self.lateness_penalty, reqs, offs)
        object.__setattr__(self, "_arrays", arrays)

    @classmethod
    def from_arrays(cls, arrays: ProblemArrays) -> Problem:
        """Wrap already validated columns without creating any element object."""
        return cls(arrays.periods, arrays.lateness_penalty, RequirementTable(arrays), OfferTable(arrays))

    @property
    def arrays(self) -> ProblemArrays:
        """The validated columnar form (what the engine reads)."""
        return self._arrays


class AllocationTable(Sequence[Allocation]):
    """Allocations stored as arrays of requirement / offer positions and quantities."""

    __slots__ = ("off", "off_ids", "provides", "qty", "req", "req_ids")

    def __init__(
        self,
        req_ids: Sequence[str],
        off_ids: Sequence[str],
        req: IntArray,
        off: IntArray,
        qty: IntArray,
        provides: FloatArray | None = None,
    ) -> None:
        self.req_ids = req_ids
        self.off_ids = off_ids
        self.req = req
        self.off = off
        self.qty = qty
        #: quantity × factor per allocation (``None`` when every factor is 1).
        self.provides = provides

    def __len__(self) -> int:
        return int(self.qty.size)

    def _make(self, i: int) -> Allocation:
        prov = None if self.provides is None else number(float(self.provides[i]))
        return Allocation(
            self.req_ids[int(self.req[i])], self.off_ids[int(self.off[i])], int(self.qty[i]), prov
        )

    @overload
    def __getitem__(self, index: int) -> Allocation: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Allocation]: ...

    def __getitem__(self, index: int | slice) -> Allocation | Sequence[Allocation]:
        n = len(self)
        if isinstance(index, slice):
            return tuple(self._make(i) for i in range(*index.indices(n)))
        i = operator.index(index)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(index)
        return self._make(i)

    def __iter__(self) -> Iterator[Allocation]:
        rid, oid = self.req_ids, self.off_ids
        if self.provides is not None:
            yield from (self._make(i) for i in range(len(self)))
            return
        for r, o, q in zip(self.req.tolist(), self.off.tolist(), self.qty.tolist(), strict=True):
            yield Allocation(rid[r], oid[o], q)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"AllocationTable({len(self)} allocations)"


@dataclass(frozen=True)
class Result:
    """Outcome of a solve.

    ``objective`` is the total worth in the problem's units, ``bound`` an upper bound on
    any feasible worth (``None`` for heuristics); ``status`` is ``"OPTIMAL"`` when the
    bound proves the objective optimal (``"FEASIBLE"`` otherwise, with ``gap`` =
    ``bound - objective``).  ``unmet`` maps every requirement id (in input order) to its
    unserved quantity in the requirement's units (a float when factors make it fractional).
    ``timings`` are seconds per phase.
    """

    status: str
    objective: float
    bound: float | None
    allocations: Sequence[Allocation]
    unmet: Mapping[str, float]
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    #: How the result was obtained (``"min-cost flow"`` without factors).
    method: str = field(default="min-cost flow", compare=False)

    @property
    def gap(self) -> float | None:
        """``bound - objective`` (never negative), ``None`` without a bound."""
        if self.bound is None:
            return None
        return number(max(0.0, self.bound - self.objective))


def number(value: float) -> float:
    """An integral float as an ``int`` (so JSON shows ``3``, not ``3.0``), else the float rounded
    to 9 decimals (factors have at most 6, so this only removes binary noise)."""
    if float(value).is_integer():
        return int(value)
    return round(value, 9)


def provided_array(problem: Problem, result: Result) -> FloatArray:
    """Units of its requirement each allocation provides (quantity × factor), in allocation order."""
    allocs = result.allocations
    if isinstance(allocs, AllocationTable):
        if allocs.provides is not None:
            return allocs.provides
        return allocs.qty.astype(np.float64)
    return np.fromiter((a.provided for a in allocs), dtype=np.float64, count=len(allocs))


def allocation_arrays(problem: Problem, result: Result) -> tuple[IntArray, IntArray, IntArray]:
    """(requirement positions, offer positions, quantities) of a result's allocations."""
    allocs = result.allocations
    if isinstance(allocs, AllocationTable):
        return allocs.req, allocs.off, allocs.qty
    arrays = problem.arrays
    ri, oi = arrays.req_index, arrays.off_index
    req = np.fromiter((ri[a.requirement] for a in allocs), dtype=np.int64, count=len(allocs))
    off = np.fromiter((oi[a.offer] for a in allocs), dtype=np.int64, count=len(allocs))
    qty = np.fromiter((a.quantity for a in allocs), dtype=np.int64, count=len(allocs))
    return req, off, qty


def unmet_array(problem: Problem, result: Result) -> FloatArray:
    """Unmet quantity per requirement position, in the requirement's units."""
    ids = problem.arrays.req_ids
    return np.fromiter((result.unmet.get(r, 0) for r in ids), dtype=np.float64, count=len(ids))
