"""The data of examples/train/tasks.py: Lorenz against scipy, the splits, the spike trains."""
import numpy as np
import pytest

from tests.train import load_tasks

tasks = load_tasks()


def test_lorenz_rk4_follows_a_tight_reference_solution():
    from scipy.integrate import solve_ivp
    steps, dt = 2001, 0.001
    ours = tasks.lorenz(samples=steps, dt=dt)
    times = np.arange(steps) * dt
    ref = solve_ivp(lambda t, s: tasks.lorenz_field(s), (0.0, times[-1]), tasks.LORENZ_START,
                    method="DOP853", t_eval=times, rtol=1e-12, atol=1e-12)
    assert ours.shape == (steps, 3) and np.array_equal(ours[0], [8.0, 1.0, 1.0])
    # RK4's global error at dt = 1e-3 over 2 time units is ~1e-9 of the state's size (~20)
    np.testing.assert_allclose(ours, ref.y.T, rtol=0, atol=1e-7)
    coarse = tasks.lorenz(samples=1001, dt=2 * dt)       # fourth order: 16x the error
    err_fine = np.abs(ours[::2] - ref.y.T[::2]).max()
    err_coarse = np.abs(coarse - ref.y.T[::2]).max()
    assert 10 < err_coarse / err_fine < 22


def test_esn_split_follows_the_protocol():
    data = np.arange(100_000, dtype=float)[:, None] * np.ones(3)
    split = tasks.esn_split(data)
    assert len(split.inputs) == len(split.targets) == 99_995
    np.testing.assert_array_equal(split.targets - split.inputs, 5.0)
    assert split.train == slice(1000, 70_000) and split.test == slice(70_000, 99_995)
    assert len(split.inputs[split.test]) == 29_995
    with pytest.raises(ValueError, match="warmup"):
        tasks.esn_split(data[:2000])


def test_reservoir_matrices_are_sparse_gaussian_and_reproducible():
    w_in, w = tasks.reservoir_matrices(seed=3, units=400)
    assert w_in.shape == (3, 400) and w.shape == (400, 400)
    present = w[w != 0]
    assert abs(len(present) / w.size - 0.1) < 0.01
    assert abs(present.std() - 0.1) < 0.005
    again = tasks.reservoir_matrices(seed=3, units=400)
    assert np.array_equal(w, again[1]) and np.array_equal(w_in, again[0])
    assert not np.array_equal(w, tasks.reservoir_matrices(seed=4, units=400)[1])


def test_digits_split_is_stratified_and_spikes_follow_intensity():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits
    x_train, y_train, x_test, y_test = tasks.digits_spikes(seed=0)
    assert x_train.shape == (1437, 50, 64) and x_test.shape == (360, 50, 64)
    assert x_train.dtype == np.float32 and set(np.unique(x_train)) <= {0.0, 1.0}
    whole = np.bincount(load_digits().target, minlength=10) / 1797
    for labels in (y_train, y_test):
        assert np.abs(np.bincount(labels, minlength=10) / len(labels) - whole).max() < 0.01
    # the same split for every seed; other spikes
    x_again, y_again, _, _ = tasks.digits_spikes(seed=1)
    assert np.array_equal(y_again, y_train) and not np.array_equal(x_again, x_train)
    # a pixel of intensity v spikes with probability v/16 at each step
    digits = load_digits()
    ids = np.arange(len(digits.target))
    from sklearn.model_selection import train_test_split
    i_train, i_test = train_test_split(ids, test_size=0.2, stratify=digits.target,
                                       random_state=0)
    rate = np.empty((len(ids), 64))
    rate[i_train], rate[i_test] = x_train.mean(axis=1), x_test.mean(axis=1)
    for value in (0, 4, 8, 12, 16):
        chosen = digits.data == value
        assert abs(rate[chosen].mean() - value / 16) < 0.01, value


def test_evidence_task_cues_and_labels():
    trials = tasks.evidence_task(trials=256, seed=0)
    steps = 7 * 60 + 200 + 50
    assert trials.spikes.shape == (256, steps, 40) and trials.recall == slice(620, 670)
    assert np.array_equal(trials.labels, (trials.cues.sum(axis=1) >= 4).astype(np.int32))
    assert 0.3 < trials.labels.mean() < 0.7
    x = trials.spikes.astype(float)
    # cue k of trial 0 is on its side's channels only, at 40 Hz (0.04 per 1 ms step)
    for k, side in enumerate(trials.cues[0]):
        window = x[:, 60 * k:60 * k + 40]
        chosen = trials.cues[:, k] == side
        assert window[chosen, :, 10 * side:10 * side + 10].mean() == pytest.approx(0.04, abs=0.01)
        assert window[chosen, :, 10 * (1 - side):10 * (2 - side)].sum() == 0
    assert x[:, 420:620, :30].sum() == 0                             # the delay: no cue
    assert x[:, 620:, 20:30].mean() == pytest.approx(0.04, abs=0.005)
    assert x[:, :, 30:].mean() == pytest.approx(0.01, abs=0.002)       # 10 Hz noise
    with pytest.raises(ValueError, match="odd"):
        tasks.evidence_task(trials=4, seed=0, cues=6)
