import dataclasses
import math

import numpy as np
import pytest

from neuroflow.ir._connectivity import (
    CONNECTIVITY_RULES,
    AllToAll,
    FixedFanIn,
    FixedFanOut,
    FixedProb,
    OneToOne,
    rule_from_call,
)


def rng(seed=0):
    return np.random.default_rng(seed)


def check_well_formed(pre, post, n_pre, n_post):
    """int32, in range, sorted by (pre, post), no duplicate pairs."""
    assert pre.dtype == np.int32 and post.dtype == np.int32
    assert pre.shape == post.shape and pre.ndim == 1
    if pre.size:
        assert 0 <= pre.min() and pre.max() < n_pre
        assert 0 <= post.min() and post.max() < n_post
    flat = pre.astype(np.int64) * n_post + post
    assert np.all(np.diff(flat) > 0)  # strictly increasing: sorted and unique


def chi_square_z(observed, expected):
    """Chi-square statistic as a z-score (normal approximation, large dof)."""
    stat = float(np.sum((observed - expected) ** 2 / expected))
    dof = observed.size - 1
    return (stat - dof) / math.sqrt(2 * dof)


# --- construction, text, registry -------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: FixedProb(1.5), "fixed_prob: p must be in [0, 1], got 1.5"),
        (lambda: FixedProb(-0.1), "fixed_prob: p must be in [0, 1]"),
        (lambda: FixedProb(float("nan")), "fixed_prob: p must be in [0, 1]"),
        (lambda: FixedProb(True), "fixed_prob: p must be a real number"),
        (lambda: FixedProb("0.1"), "fixed_prob: p must be a real number"),
        (lambda: FixedFanIn(-1), "fixed_fan_in: k must be >= 0"),
        (lambda: FixedFanIn(2.5), "fixed_fan_in: k must be an integer"),
        (lambda: FixedFanOut(True), "fixed_fan_out: k must be an integer"),
    ],
)
def test_invalid_fields_are_rejected(make, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make()


def test_rules_are_frozen_hashable_values():
    assert FixedProb(0.5) == FixedProb(0.5) and FixedProb(0.5) != FixedProb(0.25)
    assert FixedFanIn(80.0) == FixedFanIn(80) and isinstance(FixedFanIn(80.0).k, int)
    assert len({OneToOne(), OneToOne(), AllToAll()}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        FixedProb(0.5).p = 0.1
    assert not hasattr(FixedProb(0.5), "__dict__")


@pytest.mark.parametrize(
    "rule, text",
    [
        (FixedProb(0.02), "fixed_prob(0.02)"),
        (FixedProb(1), "fixed_prob(1.0)"),
        (FixedProb(0.1 + 0.2), "fixed_prob(0.30000000000000004)"),
        (FixedFanIn(80), "fixed_fan_in(80)"),
        (FixedFanOut(10), "fixed_fan_out(10)"),
        (OneToOne(), "one_to_one()"),
        (AllToAll(), "all_to_all()"),
    ],
)
def test_text_round_trips_through_rule_from_call(rule, text):
    assert rule.text() == text
    name, _, rest = text.partition("(")
    args = tuple(float(a) for a in rest.rstrip(")").split(",") if a.strip())
    assert rule_from_call(name, args) == rule
    assert CONNECTIVITY_RULES[name] is type(rule)


def test_rule_from_call_errors():
    with pytest.raises(ValueError, match="known rules: all_to_all, fixed_fan_in"):
        rule_from_call("fixed_probability", (0.1,))
    with pytest.raises(ValueError, match=r"fixed_prob takes 1 argument\(s\) \(p\), got 2"):
        rule_from_call("fixed_prob", (0.1, 0.2))
    with pytest.raises(ValueError, match="must be an integer"):
        rule_from_call("fixed_fan_out", (2.5,))


def test_expected_synapses():
    assert FixedProb(0.02).expected_synapses(4000, 1000) == pytest.approx(80000)
    assert FixedFanIn(80).expected_synapses(4000, 1000) == 80000
    assert FixedFanOut(10).expected_synapses(4000, 1000) == 40000
    assert OneToOne().expected_synapses(7, 7) == 7
    assert AllToAll().expected_synapses(3, 5) == 15


# --- deterministic rules ----------------------------------------------------


def test_one_to_one_and_all_to_all_are_exact():
    pre, post = OneToOne().draw(5, 5, rng())
    check_well_formed(pre, post, 5, 5)
    assert pre.tolist() == post.tolist() == [0, 1, 2, 3, 4]
    pre, post = AllToAll().draw(2, 3, rng())
    check_well_formed(pre, post, 2, 3)
    assert list(zip(pre.tolist(), post.tolist())) == [
        (0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)
    ]
    with pytest.raises(ValueError,
                       match="one_to_one needs as many pre as post neurons, got 4 and 5"):
        OneToOne().draw(4, 5, rng())


@pytest.mark.parametrize("rule", [FixedProb(0.3), FixedFanIn(0), FixedFanOut(0), AllToAll()])
def test_empty_populations_give_no_synapses(rule):
    for n_pre, n_post in [(0, 10), (10, 0), (0, 0)]:
        pre, post = rule.draw(n_pre, n_post, rng())
        check_well_formed(pre, post, n_pre, n_post)
        assert pre.size == rule.expected_synapses(n_pre, n_post) == 0


def test_negative_sizes_are_rejected():
    with pytest.raises(ValueError, match="n_pre must be >= 0"):
        AllToAll().draw(-1, 3, rng())


# --- fixed fan-in / fan-out -------------------------------------------------


@pytest.mark.parametrize("k, n_pre", [(1, 50), (7, 50), (25, 50), (26, 50), (49, 50), (50, 50)])
def test_fan_in_gives_every_post_exactly_k_distinct_pre(k, n_pre):
    n_post = 300
    pre, post = FixedFanIn(k).draw(n_pre, n_post, rng(k))
    check_well_formed(pre, post, n_pre, n_post)  # distinctness included
    assert np.array_equal(np.bincount(post, minlength=n_post), np.full(n_post, k))


@pytest.mark.parametrize("k, n_post", [(1, 50), (7, 50), (25, 50), (26, 50), (49, 50), (50, 50)])
def test_fan_out_gives_every_pre_exactly_k_distinct_post(k, n_post):
    n_pre = 300
    pre, post = FixedFanOut(k).draw(n_pre, n_post, rng(k))
    check_well_formed(pre, post, n_pre, n_post)
    assert np.array_equal(np.bincount(pre, minlength=n_pre), np.full(n_pre, k))


def test_fan_in_and_fan_out_reject_impossible_k():
    with pytest.raises(ValueError, match="fixed_fan_in: k = 11 exceeds the 10 pre neurons"):
        FixedFanIn(11).draw(10, 100, rng())
    with pytest.raises(ValueError, match="fixed_fan_out: k = 11 exceeds the 10 post neurons"):
        FixedFanOut(11).draw(100, 10, rng())


@pytest.mark.parametrize("k, n", [(2, 4), (3, 5), (2, 6)])
def test_fan_out_target_sets_are_uniform_subsets(k, n):
    # Each pre neuron's target set must be uniform over all C(n, k) subsets,
    # not merely have uniform marginals.  (3, 5) goes through the complement
    # path, the others through rejection.
    n_pre = 60_000
    pre, post = FixedFanOut(k).draw(n_pre, n, rng(1))
    codes = (1 << post.astype(np.int64)).reshape(n_pre, k).sum(axis=1)
    subsets, counts = np.unique(codes, return_counts=True)
    assert subsets.size == math.comb(n, k)
    assert abs(chi_square_z(counts, n_pre / subsets.size)) < 5


def test_fan_in_sources_are_uniform():
    n_pre, n_post, k = 200, 5000, 20
    pre, _ = FixedFanIn(k).draw(n_pre, n_post, rng(2))
    counts = np.bincount(pre, minlength=n_pre)
    assert abs(chi_square_z(counts, n_post * k / n_pre)) < 5


def test_fan_rules_are_reproducible():
    for rule in (FixedFanIn(5), FixedFanOut(5)):
        a = rule.draw(100, 120, rng(7))
        b = rule.draw(100, 120, rng(7))
        c = rule.draw(100, 120, rng(8))
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
        assert not all(np.array_equal(x, y) for x, y in zip(a, c))


# --- fixed probability ------------------------------------------------------


def test_fixed_prob_edge_probabilities():
    pre, post = FixedProb(0.0).draw(300, 400, rng())
    check_well_formed(pre, post, 300, 400)
    assert pre.size == 0
    pre, post = FixedProb(1.0).draw(30, 40, rng())
    check_well_formed(pre, post, 30, 40)
    assert pre.size == 1200
    # A single pair is a single Bernoulli(p) trial (catches off-by-one walks).
    hits = sum(FixedProb(0.5).draw(1, 1, rng(seed))[0].size for seed in range(400))
    assert abs(hits - 200) < 5 * 10


def test_fixed_prob_counts_are_binomial():
    n_pre, n_post, p = 4000, 4000, 0.02
    pre, post = FixedProb(p).draw(n_pre, n_post, rng(3))
    check_well_formed(pre, post, n_pre, n_post)
    total = n_pre * n_post
    assert abs(pre.size - total * p) < 5 * math.sqrt(total * p * (1 - p))
    # Row counts ~ Binomial(n_post, p): check mean and variance.
    rows = np.bincount(pre, minlength=n_pre)
    var = n_post * p * (1 - p)
    assert abs(rows.mean() - n_post * p) < 5 * math.sqrt(var / n_pre)
    # Var of the sample variance of n normal-ish values is about 2 var^2 / n.
    assert abs(rows.var(ddof=1) - var) < 5 * var * math.sqrt(2 / (n_pre - 1))


def test_fixed_prob_targets_are_uniform_and_independent_of_pre():
    n_pre, n_post, p = 3000, 500, 0.05
    pre, post = FixedProb(p).draw(n_pre, n_post, rng(4))
    cols = np.bincount(post, minlength=n_post)
    assert abs(chi_square_z(cols, pre.size / n_post)) < 5
    # 10 x 10 blocks of the connection matrix: each should hold its share.
    blocks = np.bincount((pre // 300) * 10 + post // 50, minlength=100)
    assert abs(chi_square_z(blocks, pre.size / 100)) < 5


def test_fixed_prob_row_patterns_are_independent_bernoulli():
    # With 4 post neurons every row's connection pattern is one of 16; under
    # independent Bernoulli(p) pairs pattern b has prob p^|b| (1-p)^(4-|b|).
    # This also covers the row boundaries that the flat-index walk crosses.
    n_pre, p = 80_000, 0.3
    pre, post = FixedProb(p).draw(n_pre, 4, rng(11))
    patterns = np.zeros(n_pre, np.int64)
    np.add.at(patterns, pre, 1 << post.astype(np.int64))
    observed = np.bincount(patterns, minlength=16)
    ones = np.array([bin(b).count("1") for b in range(16)])
    expected = n_pre * p**ones * (1 - p) ** (4 - ones)
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    assert chi2 < 56.5  # chi-square(15) quantile at 1 - 1e-6


def test_fixed_prob_with_tiny_p_over_a_huge_index_space():
    # Geometric gaps here reach int64's maximum (numpy saturates them);
    # summing them must not wrap around into bogus in-range positions.
    n = 2**31 - 1
    counts = []
    for seed in range(20):
        pre, post = FixedProb(1e-19).draw(n, n, rng(seed))
        check_well_formed(pre, post, n, n)
        counts.append(pre.size)
    assert sum(counts) < 40  # mean count is 0.46 per draw
    assert FixedProb(5e-324).draw(n, n, rng())[0].size == 0


def test_fixed_prob_is_reproducible():
    a = FixedProb(0.1).draw(200, 300, rng(9))
    b = FixedProb(0.1).draw(200, 300, rng(9))
    c = FixedProb(0.1).draw(200, 300, rng(10))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[1][:100], c[1][:100])


def test_fixed_prob_at_64k_neurons():
    # About 5.1M synapses; must neither build a 64k x 64k array nor loop.
    n, p = 64_000, 0.00125
    pre, post = FixedProb(p).draw(n, n, rng(6))
    check_well_formed(pre, post, n, n)
    assert abs(pre.size - n * n * p) < 5 * math.sqrt(n * n * p * (1 - p))
