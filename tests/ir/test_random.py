import dataclasses
import math

import numpy as np
import pytest

from neuroflow.ir._random import (
    DISTRIBUTIONS,
    Exponential,
    LogNormal,
    Normal,
    Uniform,
    distribution_from_call,
)

N = 200_000


def rng(seed=0):
    return np.random.default_rng(seed)


def parse_call(text):
    name, _, rest = text.partition("(")
    return name, tuple(float(a) for a in rest.rstrip(")").split(",") if a.strip())


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Normal(0.0, -1.0), "normal: std must be >= 0, got -1.0"),
        (lambda: Normal(float("nan"), 1.0), "normal: mean must be finite"),
        (lambda: Normal(True, 1.0), "normal: mean must be a real number"),
        (lambda: Uniform(1.0, 0.0), "uniform: low must be <= high, got low=1.0, high=0.0"),
        (lambda: Uniform(0.0, float("inf")), "uniform: high must be finite"),
        (lambda: LogNormal(0.0, -0.5), "lognormal: sigma must be >= 0"),
        (lambda: Exponential(-2.0), "exponential: scale must be >= 0"),
        (lambda: Exponential("2"), "exponential: scale must be a real number"),
    ],
)
def test_invalid_parameters_are_rejected(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_distributions_are_frozen_hashable_values():
    assert Normal(-55, 2) == Normal(-55.0, 2.0)
    assert isinstance(Normal(-55, 2).mu, float)
    assert len({Uniform(0, 1), Uniform(0.0, 1.0), Exponential(1.0)}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        Exponential(1.0).scale = 2.0
    assert not hasattr(Normal(0, 1), "__dict__")


@pytest.mark.parametrize(
    "dist, text",
    [
        (Normal(-55.0, 2.0), "normal(-55.0, 2.0)"),
        (Uniform(0, 1), "uniform(0.0, 1.0)"),
        (LogNormal(0.0, 0.5), "lognormal(0.0, 0.5)"),
        (Exponential(2.0), "exponential(2.0)"),
        (Normal(0.1 + 0.2, 1e-300), "normal(0.30000000000000004, 1e-300)"),
    ],
)
def test_text_round_trips_through_distribution_from_call(dist, text):
    assert dist.text() == text
    name, args = parse_call(text)
    assert distribution_from_call(name, args) == dist
    assert DISTRIBUTIONS[name] is type(dist)


def test_distribution_from_call_errors():
    with pytest.raises(ValueError, match="known distributions: exponential, lognormal, normal"):
        distribution_from_call("gaussian", (0.0, 1.0))
    with pytest.raises(ValueError, match=r"uniform takes 2 argument\(s\) \(low, high\), got 1"):
        distribution_from_call("uniform", (1.0,))


@pytest.mark.parametrize(
    "dist, mean, std",
    [
        (Normal(-55.0, 2.0), -55.0, 2.0),
        (Uniform(-1.0, 3.0), 1.0, 4.0 / math.sqrt(12)),
        (LogNormal(0.0, 0.5), math.exp(0.125), math.sqrt((math.exp(0.25) - 1) * math.exp(0.25))),
        (Exponential(2.0), 2.0, 2.0),
    ],
)
def test_samples_match_the_textbook_moments(dist, mean, std):
    x = dist.sample(N, rng(1))
    assert x.dtype == np.float64 and x.shape == (N,)
    assert dist.mean() == pytest.approx(mean)
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(N)
    assert x.std() == pytest.approx(std, rel=0.02)


def test_sample_shapes_support_and_reproducibility():
    assert Normal(0, 1).sample((3, 4), rng()).shape == (3, 4)
    u = Uniform(2.0, 5.0).sample(N, rng())
    assert u.min() >= 2.0 and u.max() < 5.0
    assert Exponential(1.0).sample(N, rng()).min() >= 0.0
    assert LogNormal(0.0, 1.0).sample(N, rng()).min() > 0.0
    assert np.array_equal(Normal(0, 1).sample(10, rng(3)), Normal(0, 1).sample(10, rng(3)))
    assert not np.array_equal(Normal(0, 1).sample(10, rng(3)), Normal(0, 1).sample(10, rng(4)))
    assert np.all(Normal(-55.0, 0.0).sample(5, rng()) == -55.0)


def test_uniform_is_flat():
    x = Uniform(-1.0, 1.0).sample(N, rng(2))
    counts, _ = np.histogram(x, bins=50, range=(-1.0, 1.0))
    expected = N / 50
    stat = float(np.sum((counts - expected) ** 2 / expected))
    assert (stat - 49) / math.sqrt(2 * 49) < 5


@pytest.mark.parametrize(
    "dist", [Normal(-55.0, 2.0), Uniform(0.0, 1.0), LogNormal(0.3, 0.5), Exponential(2.0)]
)
def test_scaled_is_the_distribution_of_factor_times_x(dist):
    factor = 1e-3  # e.g. mV -> V
    scaled = dist.scaled(factor)
    assert type(scaled) is type(dist)
    assert scaled.mean() == pytest.approx(factor * dist.mean())
    # Same seed: the scaled draws are the original draws times the factor.
    assert np.allclose(scaled.sample(1000, rng(5)), factor * dist.sample(1000, rng(5)))


def test_scaled_parameters_and_bad_factors():
    assert Normal(-55.0, 2.0).scaled(2.0) == Normal(-110.0, 4.0)
    assert Uniform(-1.0, 3.0).scaled(0.5) == Uniform(-0.5, 1.5)
    assert LogNormal(0.0, 0.5).scaled(math.e) == LogNormal(1.0, 0.5)
    assert Exponential(2.0).scaled(3.0) == Exponential(6.0)
    for factor in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="scale factor"):
            Normal(0.0, 1.0).scaled(factor)
