"""Connectivity rules: value-like IR attributes that say which synapses exist.

A rule is a frozen dataclass that checks its fields on construction and can `draw` concrete synapse
endpoints for given population sizes.  Every draw is vectorized numpy and returns int32
`(pre, post)` arrays sorted by pre, then post, without duplicate pairs.  Pre and post index spaces
are separate, so `pre[i] == post[i]` is an ordinary synapse, not an autapse to be avoided.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ._errors import ModelError

_INT32_MAX = int(np.iinfo(np.int32).max)
Synapses = tuple[np.ndarray, np.ndarray]


class RuleError(ModelError, ValueError):
    """A connectivity rule with arguments it cannot have (a ValueError too, for callers that
    locate such errors in model files)."""


def _probability(value: object, where: str) -> float:
    # bool is an int subclass; `fixed_prob(True)` is a typo, not p = 1.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise RuleError(f"{where} must be a real number, got {value!r}")
    p = float(value)
    if not 0.0 <= p <= 1.0:  # also rejects nan
        raise RuleError(f"{where} must be in [0, 1], got {value!r}", None,
                        "a probability lies between 0 (never) and 1 (always)")
    return p


def _count(value: object, where: str) -> int:
    # The IR text parser hands every number over as a float, so an integral
    # float (80.0) is accepted and normalised; 80.5 is an error.
    integral = isinstance(value, numbers.Integral) or (isinstance(value, numbers.Real)
                                                        and float(value).is_integer())
    if isinstance(value, bool) or not integral:
        raise RuleError(f"{where} must be an integer, got {value!r}")
    k = int(value)
    if k < 0:
        raise RuleError(f"{where} must be >= 0, got {k}")
    return k


def _check_sizes(n_pre: int, n_post: int) -> tuple[int, int]:
    n_pre, n_post = _count(n_pre, "n_pre"), _count(n_post, "n_post")
    if max(n_pre, n_post) > _INT32_MAX:
        raise RuleError(f"population sizes must fit int32, got {n_pre} x {n_post}")
    return n_pre, n_post


def _distinct_rows(n_rows: int, k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """An (n_rows, k) int64 array; row r is a uniform random k-subset of range(n), sorted ascending,
    drawn independently of the other rows.

    Why uniform: draw k values with replacement, then repeatedly replace the surplus copies of
    repeated values with fresh uniform draws until a row is distinct.  Which entries get replaced
    depends only on which values are equal, never on the values themselves, so the whole procedure
    commutes with any relabelling of range(n).  The final k-subset's distribution is therefore
    invariant under all permutations of range(n), and the only such distribution on k-subsets is the
    uniform one.  Loops run over rounds of rejection (a handful), not over rows.
    """
    if k == 0 or n_rows == 0:
        return np.empty((n_rows, k), np.int64)
    if 2 * k > n:
        # Rejection would crawl (coupon collector); draw the n - k < n / 2
        # left-out values instead.  The complement of a uniform (n-k)-subset
        # is a uniform k-subset.  The mask is at most twice the output size.
        left_out = _distinct_rows(n_rows, n - k, n, rng)
        keep = np.ones((n_rows, n), bool)
        keep[np.arange(n_rows)[:, None], left_out] = False
        return np.nonzero(keep)[1].reshape(n_rows, k)
    rows = rng.integers(0, n, size=(n_rows, k))
    rows.sort(axis=1)
    active = np.arange(n_rows)
    while active.size:
        sub = rows[active]
        surplus = np.zeros(sub.shape, bool)
        surplus[:, 1:] = sub[:, 1:] == sub[:, :-1]  # later copies of a value
        bad = surplus.any(axis=1)
        active, sub, surplus = active[bad], sub[bad], surplus[bad]
        sub[surplus] = rng.integers(0, n, size=int(surplus.sum()))
        sub.sort(axis=1)
        rows[active] = sub
    return rows


_PIECE = 1 << 18  # gaps drawn at a time: bounds the int64 temporaries of a large draw


def _gap_pieces(p: float, batch: int, last: int, total: int, n_post: int, rng: np.random.Generator,
                pre: np.ndarray, post: np.ndarray) -> tuple[int, int, bool]:
    """Draw `batch` Geometric(p) gaps after position `last`, in pieces of `_PIECE`, and write
    the positions below `total`, split into (pre, post) = divmod(position, n_post), into the
    int32 arrays `pre` and `post`.  Returns (synapses written, last position, ended).

    All `batch` gaps are drawn even after the end is passed, so that `rng` moves on exactly as
    with one draw of the whole batch: a piece-wise draw takes the same values."""
    filled, ended = 0, False
    for begin in range(0, batch, _PIECE):
        gaps = rng.geometric(p, size=min(_PIECE, batch - begin))
        if ended:
            continue
        # A gap that leaves the range leaves it also when clipped to the distance to the
        # end plus one: clipping changes no kept position, and it bounds the first position
        # past the end by 2 * total < 2**63 (total < 2**62 for int32 sizes), so that one is
        # exact; the int64 sum may wrap only after it, and everything from it on is dropped.
        np.minimum(gaps, total - last, out=gaps)
        positions = np.cumsum(gaps, out=gaps)
        positions += last
        beyond = positions >= total
        if beyond.any():
            positions = positions[: int(np.argmax(beyond))]
            ended = True
        count = len(positions)
        rows, cols = np.divmod(positions, n_post)
        pre[filled:filled + count] = rows
        post[filled:filled + count] = cols
        filled += count
        if count:
            last = int(positions[-1])
    return filled, last, ended


class ConnectivityRule(ABC):
    """Base of all connectivity rules; subclasses are frozen dataclasses."""

    __slots__ = ()
    name: ClassVar[str]  # the call name in the printed IR

    def problem(self, n_pre: int, n_post: int) -> str | None:
        """Why this rule cannot connect these sizes, or None (checked by `ir.verify`)."""
        return None

    def _require_fit(self, n_pre: int, n_post: int) -> tuple[int, int]:
        n_pre, n_post = _check_sizes(n_pre, n_post)
        problem = self.problem(n_pre, n_post)
        if problem:
            raise RuleError(problem)
        return n_pre, n_post

    @abstractmethod
    def draw(self, n_pre: int, n_post: int, rng: np.random.Generator) -> Synapses:
        """Synapse endpoints (pre, post) as int32, sorted by pre then post."""

    @abstractmethod
    def expected_synapses(self, n_pre: int, n_post: int) -> float:
        """Mean number of synapses, for cost models and buffer sizes."""

    def text(self) -> str:
        args = ", ".join(_format(getattr(self, f.name)) for f in dataclasses.fields(self))
        return f"{self.name}({args})"


def _format(value: int | float) -> str:
    # repr(float) is the shortest string that parses back to the same float.
    return str(value) if isinstance(value, int) else repr(float(value))


@dataclass(frozen=True, slots=True)
class FixedProb(ConnectivityRule):
    """Each ordered (pre, post) pair is a synapse independently with prob. p."""

    p: float
    name: ClassVar[str] = "fixed_prob"

    def __post_init__(self) -> None:
        object.__setattr__(self, "p", _probability(self.p, "fixed_prob: p"))

    def draw(self, n_pre: int, n_post: int, rng: np.random.Generator) -> Synapses:
        n_pre, n_post = _check_sizes(n_pre, n_post)
        total = n_pre * n_post
        if self.p == 0.0 or total == 0:
            return np.empty(0, np.int32), np.empty(0, np.int32)
        if self.p == 1.0:
            return AllToAll().draw(n_pre, n_post, rng)
        return self._successes(total, n_post, rng)

    def _successes(self, total: int, n_post: int, rng: np.random.Generator) -> Synapses:
        # Walk the flattened pair index pre * n_post + post.  In a sequence of independent
        # Bernoulli(p) trials the distances from one success to the next (and from position -1 to
        # the first) are iid Geometric(p) on {1, 2, ...}; cumulative sums of such gaps, cut at
        # `total`, are therefore exactly the successes of `total` Bernoulli(p) trials.  Positions
        # come out strictly increasing: sorted, never repeated, and nothing of size n_pre x n_post
        # is allocated.
        p = self.p
        pre_parts, post_parts = [], []
        last = -1
        while True:
            left = total - 1 - last
            batch = int(left * p + 6.0 * math.sqrt(left * p * (1.0 - p)) + 16)
            pre, post = np.empty(batch, np.int32), np.empty(batch, np.int32)
            filled, last, ended = _gap_pieces(p, batch, last, total, n_post, rng, pre, post)
            pre_parts.append(pre[:filled])
            post_parts.append(post[:filled])
            if ended:
                if len(pre_parts) == 1:
                    return pre_parts[0], post_parts[0]
                return np.concatenate(pre_parts), np.concatenate(post_parts)
            # rare: the batch fell short by > 6 sigma; go on from its last position

    def expected_synapses(self, n_pre: int, n_post: int) -> float:
        return self.p * n_pre * n_post


@dataclass(frozen=True, slots=True)
class FixedFanIn(ConnectivityRule):
    """Each post neuron gets exactly k distinct pre neurons, chosen uniformly."""

    k: int
    name: ClassVar[str] = "fixed_fan_in"

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _count(self.k, "fixed_fan_in: k"))

    def draw(self, n_pre: int, n_post: int, rng: np.random.Generator) -> Synapses:
        n_pre, n_post = self._require_fit(n_pre, n_post)
        sources = _distinct_rows(n_post, self.k, n_pre, rng)
        # Pairs come out post-major; sorting the flat pair index re-orders them pre-major.  Sorting
        # int64 values is several times faster than a stable argsort and needs no gather afterwards.
        # In place, to hold one int64 array of the synapses' size at a time.
        sources *= n_post
        sources += np.arange(n_post)[:, None]
        flat = sources.reshape(-1)
        flat.sort()
        pre = np.empty(len(flat), np.int32)
        np.floor_divide(flat, n_post, out=pre, casting="unsafe")
        flat -= pre * np.int64(n_post)
        return pre, flat.astype(np.int32)

    def problem(self, n_pre: int, n_post: int) -> str | None:
        return (f"fixed_fan_in: k = {self.k} exceeds the {n_pre} pre neurons" if self.k > n_pre
                else None)

    def expected_synapses(self, n_pre: int, n_post: int) -> float:
        return float(self.k * n_post)


@dataclass(frozen=True, slots=True)
class FixedFanOut(ConnectivityRule):
    """Each pre neuron gets exactly k distinct post targets, chosen uniformly."""

    k: int
    name: ClassVar[str] = "fixed_fan_out"

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _count(self.k, "fixed_fan_out: k"))

    def draw(self, n_pre: int, n_post: int, rng: np.random.Generator) -> Synapses:
        n_pre, n_post = self._require_fit(n_pre, n_post)
        targets = _distinct_rows(n_pre, self.k, n_post, rng)  # rows sorted
        sources = np.repeat(np.arange(n_pre, dtype=np.int32), self.k)
        return sources, targets.ravel().astype(np.int32)

    def problem(self, n_pre: int, n_post: int) -> str | None:
        return (f"fixed_fan_out: k = {self.k} exceeds the {n_post} post neurons"
                if self.k > n_post else None)

    def expected_synapses(self, n_pre: int, n_post: int) -> float:
        return float(self.k * n_pre)


@dataclass(frozen=True, slots=True)
class OneToOne(ConnectivityRule):
    """Pre neuron i connects to post neuron i; the populations must match."""

    name: ClassVar[str] = "one_to_one"

    def problem(self, n_pre: int, n_post: int) -> str | None:
        return (f"one_to_one needs as many pre as post neurons, got {n_pre} and {n_post}"
                if n_pre != n_post else None)

    def draw(self, n_pre: int, n_post: int, rng: np.random.Generator) -> Synapses:
        n_pre, n_post = self._require_fit(n_pre, n_post)
        index = np.arange(n_pre, dtype=np.int32)
        return index, index.copy()

    def expected_synapses(self, n_pre: int, n_post: int) -> float:
        return float(min(n_pre, n_post))


@dataclass(frozen=True, slots=True)
class AllToAll(ConnectivityRule):
    """Every pre neuron connects to every post neuron."""

    name: ClassVar[str] = "all_to_all"

    def draw(self, n_pre: int, n_post: int, rng: np.random.Generator) -> Synapses:
        n_pre, n_post = _check_sizes(n_pre, n_post)
        pre = np.repeat(np.arange(n_pre, dtype=np.int32), n_post)
        post = np.tile(np.arange(n_post, dtype=np.int32), n_pre)
        return pre, post

    def expected_synapses(self, n_pre: int, n_post: int) -> float:
        return float(n_pre * n_post)


CONNECTIVITY_RULES: dict[str, type[ConnectivityRule]] = {
    rule.name: rule for rule in (FixedProb, FixedFanIn, FixedFanOut, OneToOne, AllToAll)
}


def from_call(table: dict[str, type], what: str, known: str, name: str, args: tuple[float, ...]):
    """Build the kind in `table` that a parsed call such as `fixed_fan_in(80)` names."""
    kind = table.get(name)
    if kind is None:
        raise RuleError(f"unknown {what} {name!r}; known {known}: {', '.join(sorted(table))}")
    params = [f.name for f in dataclasses.fields(kind)]
    if len(args) != len(params):
        raise RuleError(f"{name} takes {len(params)} argument(s) ({', '.join(params)}), got"
                         f" {len(args)}")
    return kind(*args)


def rule_from_call(name: str, args: tuple[float, ...]) -> ConnectivityRule:
    """Build a rule from a parsed call such as `fixed_fan_in(80)`."""
    return from_call(CONNECTIVITY_RULES, "connectivity rule", "rules", name, args)
