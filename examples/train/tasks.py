"""The data of the training examples and benchmarks, generated here with numpy (no download).

    from examples.train import tasks        # or, from a script in examples/train: import tasks

    data = tasks.lorenz()                   # [100 000, 3], RK4, dt = 0.001
    split = tasks.esn_split(data)           # inputs/targets 5 steps apart, warm-up/train/test
    w_in, w = tasks.reservoir_matrices(seed=0)
    x_train, y_train, x_test, y_test = tasks.digits_spikes(seed=0)
    trials = tasks.evidence_task(trials=512, seed=0)

Every function is deterministic in its arguments, so that the examples, the benchmarks and the
peers they are compared with (which import this module) see the same numbers.  Matrices follow
neuroflow's convention for a projection: rows are presynaptic, columns postsynaptic
(`x_post = x_pre @ w`), which is also the row-major synapse order of `all_to_all()`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

LORENZ_SIGMA = 10.0
LORENZ_BETA = 8.0 / 3.0
LORENZ_RHO = 28.0
LORENZ_START = (8.0, 1.0, 1.0)


def lorenz_field(state, sigma: float = LORENZ_SIGMA, beta: float = LORENZ_BETA,
                 rho: float = LORENZ_RHO):
    """The Lorenz vector field at `state` = (x, y, z) (floats or arrays)."""
    x, y, z = state
    return (sigma * (y - x), x * (rho - z) - y, x * y - beta * z)


def lorenz(samples: int = 100_000, dt: float = 0.001, start=LORENZ_START) -> np.ndarray:
    """`samples` points of the Lorenz system (sigma 10, beta 8/3, rho 28), classic RK4 with step
    `dt`; row 0 is `start`, row k the state at time k*dt.  float64, shape [samples, 3]."""
    out = np.empty((samples, 3))
    s = tuple(float(v) for v in start)
    half = 0.5 * dt
    for k in range(samples):      # Python floats: 3 components are faster than numpy arrays
        out[k] = s
        k1 = lorenz_field(s)
        k2 = lorenz_field(tuple(a + half * b for a, b in zip(s, k1)))
        k3 = lorenz_field(tuple(a + half * b for a, b in zip(s, k2)))
        k4 = lorenz_field(tuple(a + dt * b for a, b in zip(s, k3)))
        s = tuple(a + dt / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4)
                  for a, b1, b2, b3, b4 in zip(s, k1, k2, k3, k4))
    return out


@dataclass(frozen=True)
class EsnSplit:
    """The Lorenz ESN protocol: `inputs[t]` = data[t] is fed to the reservoir at step t and the
    readout, reading the state after that step, predicts `targets[t]` = data[t + horizon].

    The reservoir runs through all steps from a zero state; steps [0, warmup) are discarded,
    the readout is fitted on steps [warmup, train_end) and errors are reported on the held-out
    steps [train_end, len) (the reservoir's state carries over from training into the test).
    """
    inputs: np.ndarray       # [steps, 3]
    targets: np.ndarray      # [steps, 3]
    warmup: int
    train_end: int

    @property
    def train(self) -> slice:
        return slice(self.warmup, self.train_end)

    @property
    def test(self) -> slice:
        return slice(self.train_end, len(self.inputs))


def esn_split(data: np.ndarray, horizon: int = 5, warmup: int = 1000,
              train_end: int = 70_000) -> EsnSplit:
    """X = data[:-horizon], Y = data[horizon:]; warm-up, train and test steps as in EsnSplit."""
    if not 0 < warmup < train_end < len(data) - horizon:
        raise ValueError(f"need 0 < warmup ({warmup}) < train_end ({train_end}) < "
                         f"{len(data) - horizon} (the steps of data less the horizon)")
    return EsnSplit(inputs=data[:-horizon], targets=data[horizon:], warmup=warmup,
                    train_end=train_end)


def reservoir_matrices(seed: int, units: int = 100, inputs: int = 3, std: float = 0.1,
                       connectivity: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(w_in [inputs, units], w [units, units]): each entry present with probability
    `connectivity`, present entries Normal(0, std) (std, not variance), absent ones 0; no
    spectral-radius rescaling (with the defaults the radius is about sqrt(10) * 0.1 = 0.3).
    Rows are presynaptic: the reservoir's input is `u @ w_in + r @ w`.  Every implementation of
    the ESN (neuroflow, ReservoirPy, BrainPy, the numpy reference) gets these matrices."""
    rng = np.random.default_rng(seed)

    def sparse_normal(shape):
        mask = rng.random(shape) < connectivity
        return np.where(mask, rng.normal(0.0, std, shape), 0.0)

    w_in = sparse_normal((inputs, units))
    w = sparse_normal((units, units))
    return w_in, w


DIGITS_STEPS = 50          # 50 steps of 1 ms
DIGITS_MAX_INTENSITY = 16.0


def digits_spikes(seed: int, steps: int = DIGITS_STEPS, test_size: float = 0.2):
    """scikit-learn's bundled 8x8 digits as spike trains.

    The split is always the same: stratified, 80/20, `random_state=0` (1437 training and 360
    test images).  Each pixel of intensity v (0..16) spikes at each of `steps` steps (1 ms)
    independently with probability v/16, drawn from `seed`.  Returns (x_train, y_train,
    x_test, y_test): x as float32 0/1 arrays [images, steps, 64], y as int32 labels 0..9.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images, labels = digits.data, digits.target.astype(np.int32)
    i_train, i_test = train_test_split(np.arange(len(labels)), test_size=test_size,
                                       stratify=labels, random_state=0)
    rng = np.random.default_rng(seed)
    prob = images / DIGITS_MAX_INTENSITY                               # [images, 64]
    spikes = (rng.random((len(images), steps, images.shape[1])) < prob[:, None, :])
    spikes = spikes.astype(np.float32)
    return spikes[i_train], labels[i_train], spikes[i_test], labels[i_test]


class EvidenceTrials(NamedTuple):
    spikes: np.ndarray      # [trials, steps, 4 * group] float32 0/1
    labels: np.ndarray      # [trials] int32: 0 when most cues were left, 1 right
    cues: np.ndarray        # [trials, cues] int32: the side of each cue (0 left, 1 right)
    recall: slice           # the steps of the recall cue, where the answer is read


def evidence_task(trials: int, seed: int, cues: int = 7, group: int = 10, cue_ms: int = 40,
                  gap_ms: int = 20, delay_ms: int = 200, recall_ms: int = 50,
                  rate_hz: float = 40.0, noise_hz: float = 10.0,
                  dt_ms: float = 1.0) -> EvidenceTrials:
    """An evidence-accumulation (cue) task after Morcos & Harvey 2016 and Bellec et al. 2020.

    Input: 4 groups of `group` channels, in this order: left cues, right cues, recall cue,
    background noise.  A trial of steps of `dt_ms`:

    - `cues` cues (odd, so there is no tie), one after another: cue k lasts `cue_ms` starting
      at k * (cue_ms + gap_ms); during it every channel of its side (left or right, each with
      probability 1/2, independently) spikes as a Poisson process of `rate_hz`;
    - then a delay of `delay_ms` after the last gap, with no cue;
    - then the recall cue: `recall_ms` during which the recall channels spike at `rate_hz`;
    - all along, the noise channels spike at `noise_hz`.

    A step holds at most one spike per channel (Bernoulli with probability rate * dt).  The
    label is the side that had more cues (0 left, 1 right); a network is scored on the recall
    steps only.  Total steps: cues * (cue_ms + gap_ms) + delay_ms + recall_ms (670 by default).
    """
    if cues % 2 == 0:
        raise ValueError(f"cues must be odd so that a side always wins, not {cues}")
    per_cue = round(cue_ms / dt_ms), round(gap_ms / dt_ms)
    delay, recall = round(delay_ms / dt_ms), round(recall_ms / dt_ms)
    cue_steps = cues * (per_cue[0] + per_cue[1])
    steps = cue_steps + delay + recall
    rng = np.random.default_rng(seed)
    sides = rng.integers(0, 2, size=(trials, cues)).astype(np.int32)
    rate = np.zeros((trials, steps, 4 * group))
    for k in range(cues):
        start = k * (per_cue[0] + per_cue[1])
        window = slice(start, start + per_cue[0])
        for side in (0, 1):
            chosen = sides[:, k] == side
            rate[chosen, window, side * group:(side + 1) * group] = rate_hz
    recall_window = slice(cue_steps + delay, steps)
    rate[:, recall_window, 2 * group:3 * group] = rate_hz
    rate[:, :, 3 * group:] = noise_hz
    spikes = (rng.random(rate.shape) < rate * dt_ms / 1000.0).astype(np.float32)
    labels = (sides.sum(axis=1) * 2 > cues).astype(np.int32)
    return EvidenceTrials(spikes=spikes, labels=labels, cues=sides, recall=recall_window)
