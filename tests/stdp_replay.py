"""A plain numpy replay of Brian2's pair-based STDP rule (event-driven traces, `apre += Apre;
w = clip(w + apost, 0, wmax)` on pre, `apost += Apost; w = clip(w + apre, 0, wmax)` on post)
over given spike rasters: the reference for the compiled plastic projections."""
import numpy as np


def replay_stdp(pre_spikes: np.ndarray, post_spikes: np.ndarray, pre: np.ndarray,
                post: np.ndarray, w0, *, Apre: float, Apost: float, taupre: float,
                taupost: float, wmax: float, dt: float, delay_steps: int = 0) -> np.ndarray:
    """The final weights of the synapses pre[s] -> post[s]; the rasters are [steps, neurons]
    booleans, times in the units of dt.  A pre spike acts `delay_steps` later (Brian2 runs on_pre
    on arrival); within a step the pre pathway runs before the post pathway."""
    w = np.broadcast_to(np.asarray(w0, dtype=float), pre.shape).copy()
    apre, apost, last = np.zeros(len(pre)), np.zeros(len(pre)), np.zeros(len(pre))
    steps = len(post_spikes)
    for k in range(steps):
        t = k * dt
        arrived = pre_spikes[k - delay_steps][pre] if k >= delay_steps else np.zeros(len(pre), bool)
        for touched, pathway in ((arrived, "pre"), (post_spikes[k][post], "post")):
            idx = np.nonzero(touched)[0]
            apre[idx] *= np.exp(-(t - last[idx]) / taupre)
            apost[idx] *= np.exp(-(t - last[idx]) / taupost)
            last[idx] = t
            if pathway == "pre":
                apre[idx] += Apre
                w[idx] = np.clip(w[idx] + apost[idx], 0, wmax)
            else:
                apost[idx] += Apost
                w[idx] = np.clip(w[idx] + apre[idx], 0, wmax)
    return w
