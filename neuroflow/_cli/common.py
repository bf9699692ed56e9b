"""What the commands of `neuroflow` share: reading a model file and its run settings,
checking an output file before anything runs, writing JSON."""
from __future__ import annotations

import json
import runpy
from pathlib import Path

from .. import ir
from ..frontend import Network, load
from ..runtime._checks import to_ms


class CLIError(ir.NeuroflowError):
    pass


def load_model(path: str) -> dict:
    """The model at `path` and its settings, as a namespace: `model`, and `dt`, `duration`,
    `dtype`, `seed` where the model gives them."""
    file = Path(path)
    if not file.is_file():
        raise CLIError(f"no such model file: {path}")
    if file.suffix == ".nfl":
        return _load_nfl(path)
    if file.suffix == ".py":
        return _load_script(path)
    raise CLIError(f"cannot read '{path}': a model is a .nfl file or a Python script (.py)")


def _load_nfl(path: str) -> dict:
    loaded = load(path)
    if loaded.model is None:
        raise CLIError(f"{path} defines no network to run",
                       hint="add a network, or name the one to run in the run section: "
                            "run NAME { ... }")
    settings = {key: getattr(loaded.settings, key) for key in ("dt", "duration", "dtype", "seed")}
    return {"model": loaded.model} | {key: v for key, v in settings.items() if v is not None}


def _load_script(path: str) -> dict:
    """Execute a model script and return its namespace with `model` built."""
    namespace = runpy.run_path(path, run_name="__neuroflow__")
    model = namespace.get("model")
    if model is None:
        nets = [v for v in namespace.values() if isinstance(v, Network)]
        model = nets[0].build() if nets else None
    if not isinstance(model, ir.Model):
        raise CLIError(f"{path} defines neither `model` (an ir.Model) nor a `Network`",
                       hint="end the script with `model = net.build()`")
    namespace["model"] = model
    return namespace


def add_run_settings(parser) -> None:
    """The model file and the options that override its run settings (`run_settings` reads
    them), as every command that runs a model takes them."""
    parser.add_argument("script")
    parser.add_argument("--duration", type=float,
                        help="simulated time of a run in ms (default: the model's `duration`)")
    parser.add_argument("--dt", type=float,
                        help="time step in ms (default: the model's `dt`, else 0.1)")
    parser.add_argument("--dtype", choices=("float32", "float64"))
    parser.add_argument("--seed", type=int,
                        help="random seed (default: the model's `seed`, else 0)")


def run_settings(args, namespace: dict) -> tuple[float, float, str]:
    """dt and duration (ms) and dtype: the command line's, else the model's, else defaults."""
    dt = args.dt if args.dt is not None else namespace.get("dt", 0.1)
    duration = args.duration if args.duration is not None else namespace.get("duration", 1000.0)
    dtype = args.dtype or namespace.get("dtype", "float32")
    return to_ms(dt, "dt"), to_ms(duration, "duration"), dtype


def check_output(path: str | None, what: str, formats: set[str] | None = None) -> None:
    """Refuse, before anything runs, a file that cannot be written."""
    if path is None:
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise CLIError(f"{what} {path}: the folder {folder} does not exist")
    suffix = Path(path).suffix.lstrip(".").lower()
    if formats is not None and suffix not in formats:
        raise CLIError(f"{what} {path}: '{suffix or 'no extension'}' is not an image format",
                       hint=f"use one of {', '.join(sorted(formats))}")


def write_json(data: dict, path: str | None) -> None:
    """`data` as JSON in the file `path`, when one is given."""
    if path:
        Path(path).write_text(json.dumps(data, indent=1) + "\n")
        print(f"JSON written to {path}")


def counted(items, noun: str) -> str:
    """"1 population", "3 populations": of a number, or of the length of `items`."""
    n = items if isinstance(items, int) else len(items)
    return f"{n} {noun}{'' if n == 1 else 's'}"
