"""Worker: the digits SNN of `_digits.py` in snnTorch 1.0 (PyTorch on the CPU, one thread);
prints `RESULT {json}`.

    python digits_snntorch.py [--seed 0 --epochs 30 --data digits-0.npz --threads 1]

Runs under the snnTorch venv that `benchmarks/train_digits.py` makes.  `nn.Linear` layers
without bias hold the shared initial weights; the hidden layer is `snn.Synaptic` (alpha, beta,
reset by subtraction, `surrogate.fast_sigmoid(slope=25)`, snnTorch's detached reset), the
readout `snn.Leaky(reset_mechanism="none")`, whose membrane is the output.  A Python loop over
the 50 steps, eager autograd, `torch.optim.Adam`.
"""
from __future__ import annotations

import sys
import time

import _digits as P


def main() -> None:
    args = P.parse_args(lambda p: p.add_argument("--threads", type=int, default=1))
    import numpy as np
    import snntorch as snn
    import torch
    from importlib import metadata
    from snntorch import surrogate
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = P.load_data(args)

    class Net(nn.Module):
        def __init__(self, w_in, w_out):
            super().__init__()
            self.fc_in = nn.Linear(P.N_IN, P.N_HIDDEN, bias=False)
            self.fc_out = nn.Linear(P.N_HIDDEN, P.N_OUT, bias=False)
            with torch.no_grad():           # torch stores [out, in]
                self.fc_in.weight.copy_(torch.from_numpy(w_in.T.copy()))
                self.fc_out.weight.copy_(torch.from_numpy(w_out.T.copy()))
            self.hidden = snn.Synaptic(alpha=P.ALPHA, beta=P.BETA, threshold=P.THRESHOLD,
                                       spike_grad=surrogate.fast_sigmoid(slope=P.SLOPE),
                                       reset_mechanism="subtract")
            self.out = snn.Leaky(beta=P.BETA, reset_mechanism="none")

        def forward(self, x):                       # x [batch, steps, 64]
            batch = x.shape[0]
            syn = torch.zeros(batch, P.N_HIDDEN)
            mem = torch.zeros(batch, P.N_HIDDEN)
            u = torch.zeros(batch, P.N_OUT)
            drive = self.fc_in(x)                   # all steps at once
            total = torch.zeros(batch, P.N_OUT)
            for t in range(x.shape[1]):
                spk, syn, mem = self.hidden(drive[:, t], syn, mem)
                _, u = self.out(self.fc_out(spk), u)
                total = total + u
            return total / x.shape[1]              # the mean over time

    w_in, w_out = P.initial_weights(args.seed)
    net = Net(w_in, w_out)
    optimizer = torch.optim.Adam(net.parameters(), lr=P.LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    x_all = torch.from_numpy(x_train)
    y_all = torch.from_numpy(y_train.astype(np.int64))
    epoch_s, losses = [], []
    for e in range(args.epochs):
        order = torch.from_numpy(P.epoch_order(args.seed, e, len(y_train)))
        t0 = time.perf_counter()
        total = 0.0
        for idx in order:
            optimizer.zero_grad()
            loss = loss_fn(net(x_all[idx]), y_all[idx])
            loss.backward()
            optimizer.step()
            total += loss.item()
        epoch_s.append(time.perf_counter() - t0)
        losses.append(total / len(order))
    with torch.no_grad():
        predicted = net(torch.from_numpy(x_test)).argmax(dim=1).numpy()
    accuracy = float(np.mean(predicted == y_test))
    versions = {name: metadata.version(name) for name in ("snntorch", "torch")}
    P.emit(args, "snntorch", epoch_s=epoch_s, losses=losses, test_accuracy=accuracy,
           versions=versions, threads=args.threads)


if __name__ == "__main__":
    sys.exit(main())
