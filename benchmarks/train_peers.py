"""The venvs of the training benchmarks' peers (`train_digits.py`, `esn_lorenz.py`).

Each peer gets its own venv under --cache-dir (default ~/.cache/neuroflow-bench), named
`NAME-pyX.Y` as `compare.py` names Brian2's and BrainPy's (BrainPy's is the one `compare.py`
makes), made from pyenv's interpreters and PyPI on first use and reused afterwards:

  spyx          spyx==1.0.0 (it brings Flax NNX and its own JAX)
  snntorch      snntorch==1.0.0 with torch (PyPI's wheel; `--torch-index URL` adds an index
                such as https://download.pytorch.org/whl/cpu for a CPU-only build)
  reservoirpy   reservoirpy==0.4.2
  brainpy       brainpy[cpu]==2.9.0

A peer that cannot be installed is reported with the reason; the drivers go on without it.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

from compare import installed_versions, log, prepare_venv, run_peer_worker


@dataclass
class TrainPeer:
    name: str                      # venv name prefix
    packages: tuple[str, ...]      # what pip installs (pinned: name==version)
    module: str                    # imported to check the venv
    report: tuple[str, ...]        # distributions whose versions are recorded
    min_python: tuple[int, int]
    prefer: tuple[str, ...]
    pip_options: tuple[str, ...] = ()
    python: str | None = None
    problem: str | None = None
    versions: dict = field(default_factory=dict)

    @property
    def pinned(self) -> dict[str, str]:
        return dict(p.split("==") for p in self.packages if "==" in p and "[" not in p)


def peers(torch_index: str | None = None) -> dict[str, TrainPeer]:
    torch_options = ("--extra-index-url", torch_index) if torch_index else ()
    return {
        "spyx": TrainPeer("spyx", ("spyx==1.0.0",), "spyx",
                          ("spyx", "flax", "jax", "jaxlib", "optax"), (3, 11), ("3.12",)),
        "snntorch": TrainPeer("snntorch", ("torch", "snntorch==1.0.0", "numpy"), "snntorch",
                              ("snntorch", "torch", "numpy"), (3, 10), ("3.12",),
                              pip_options=torch_options),
        "reservoirpy": TrainPeer("reservoirpy", ("reservoirpy==0.4.2",), "reservoirpy",
                                 ("reservoirpy", "numpy", "scipy"), (3, 10), ("3.12",)),
        "brainpy": TrainPeer("brainpy", ("brainpy[cpu]==2.9.0",), "brainpy",
                             ("brainpy", "brainstate", "jax", "jaxlib"), (3, 12),
                             ("3.13", "3.12")),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir",
                        default=os.path.join(os.path.expanduser("~"), ".cache", "neuroflow-bench"),
                        help="where the peers' venvs live (default ~/.cache/neuroflow-bench)")
    parser.add_argument("--no-install", action="store_true", help="use existing venvs only")
    parser.add_argument("--only-setup", action="store_true",
                        help="prepare the venvs, print versions, stop")
    parser.add_argument("--torch-index", default=None,
                        help="an extra pip index for torch (e.g. PyTorch's CPU wheels)")


def _check(exe: Path, peer: TrainPeer) -> dict | None:
    versions = installed_versions(exe, peer.module, list(peer.report))
    if versions is None or any(versions.get(name) != version
                               for name, version in peer.pinned.items()):
        return None
    return versions


def prepare(peer: TrainPeer, cache: Path, install: bool) -> None:
    """Find or make the peer's venv; sets peer.python and peer.versions, or peer.problem."""
    prepare_venv(peer, cache, None, install, [*peer.pip_options, *peer.packages],
                 lambda exe: _check(exe, peer))


def prepare_all(names: list[str], args: argparse.Namespace) -> dict[str, TrainPeer]:
    chosen = {name: peer for name, peer in peers(args.torch_index).items() if name in names}
    for peer in chosen.values():
        prepare(peer, Path(args.cache_dir), not args.no_install)
        shown = peer.problem or ", ".join(f"{k} {v}" for k, v in peer.versions.items())
        log(f"{peer.name}: {shown}")
    return chosen


def version_text(versions: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in versions.items())


def run_worker(python: str, argv: list[str], timeout: float) -> tuple[dict | None, str]:
    """Run `python peers/ARGV...` and return its `RESULT {json}` (with the CPU that other
    processes used meanwhile, in cores), or None and why not."""
    result, why, _ = run_peer_worker(python, Path(__file__).resolve().parent / "peers" / argv[0],
                                     argv[1:], timeout)
    return result, why
