"""Loading a model file: its imports, its definitions, the network it runs and its `run` section.

    file = load("examples/coba.nfl")
    file.model      # the ir.Model of the network the file runs
    file.settings   # dt, duration, dtype, seed and the default method of its `run` section

`import "x.nfl"` looks next to the importing file first, then in the standard library
(`neuroflow/stdlib/`).  Everything an imported file defines, and everything it imports,
can be used by name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import ir
from ..ir import Loc, ModelError, NeuroflowError, Quantity, did_you_mean
from . import _ast as ast
from ._dsl_compose import Composer
from ._dsl_errors import Errors
from ._dsl_network import NetworkBuilder
from ._dsl_parse import parse
from ._dsl_synapse import SynapseModel
from ._dsl_values import Values

STDLIB = Path(__file__).resolve().parent.parent / "stdlib"
SETTINGS = ("dt", "duration", "dtype", "seed", "method")
DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class RunSettings:
    """The `run` section: None where the file leaves the choice to the caller."""

    dt: Quantity | None = None
    duration: Quantity | None = None
    dtype: str | None = None
    seed: int | None = None
    method: str | None = None


@dataclass(frozen=True)
class ModelFile:
    """A loaded model file."""

    origin: str
    model: ir.Model | None  # None for a library of neurons and channels without a network
    network: str | None
    settings: RunSettings
    views: dict[str, ir.PopSlice] = field(default_factory=dict)
    components: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()


class _Library:
    """The definitions visible from the main file: its own and those of its imports."""

    def __init__(self, errors: Errors):
        self.errors = errors
        self.components: dict[str, ast.Component] = {}
        self.networks: dict[str, ast.Network] = {}
        self.places: dict[str, Loc] = {}
        self.loaded: set[Path] = set()

    def add(self, file: ast.File, directory: Path | None, stack: tuple[Path, ...]) -> None:
        for declaration in file.declarations:
            if isinstance(declaration, ast.Import):
                with self.errors.collect(declaration.loc):
                    self._import(declaration, directory, stack)
            elif isinstance(declaration, (ast.Component, ast.Network)):
                self._define(declaration)

    def _define(self, declaration: ast.Component | ast.Network) -> None:
        name = declaration.name
        if name.text in self.places:
            first = self.places[name.text]
            self.errors.report(f"'{name.text}' is defined twice; first at"
                               f" {first.origin}:{first.line}", name.loc, "rename one of them")
            return
        self.places[name.text] = name.loc
        table = self.components if isinstance(declaration, ast.Component) else self.networks
        table[name.text] = declaration

    def _import(self, declaration: ast.Import, directory: Path | None,
                stack: tuple[Path, ...]) -> None:
        path = _find(declaration, directory)
        if path in stack:
            raise ModelError(f"'{declaration.path}' imports itself through "
                             + " -> ".join(p.name for p in stack + (path,)), declaration.loc,
                             "move what both files need into a third file")
        if path in self.loaded:
            return
        self.loaded.add(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ModelError(f"cannot read '{declaration.path}': {err}", declaration.loc) from None
        try:
            file = parse(text, _origin(path))
        except NeuroflowError as err:
            self.errors.add(err)
            return
        self.add(file, path.parent, stack + (path,))


def _find(declaration: ast.Import, directory: Path | None) -> Path:
    if not declaration.path.endswith(".nfl"):
        raise ModelError(f"only .nfl files can be imported, got '{declaration.path}'",
                         declaration.loc)
    for base in ([directory] if directory is not None else []) + [STDLIB]:
        candidate = base / declaration.path
        if candidate.is_file():
            return candidate.resolve()
    library = sorted(p.name for p in STDLIB.glob("*.nfl"))
    raise ModelError(f"cannot find '{declaration.path}' next to this file or in the standard"
                     " library", declaration.loc, did_you_mean(declaration.path, library)
                     or f"the standard library has {', '.join(library)}")


def _origin(path: Path) -> str:
    """How an imported file is named in messages: relative to the working directory, or the
    library's."""
    if path.is_relative_to(STDLIB):
        return f"<stdlib>/{path.relative_to(STDLIB)}"
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load(path: str | Path) -> ModelFile:
    """Parse, import and build the model file at `path`."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ModelError(f"cannot read model file '{path}': {err}") from None
    return load_text(text, str(path), file.resolve().parent, file.resolve())


def load_text(text: str, origin: str = "<model>", directory: Path | None = None,
              path: Path | None = None) -> ModelFile:
    """Build the model written in `text`; imports are looked up in `directory`."""
    main = parse(text, origin)
    errors = Errors()
    library = _Library(errors)
    library.add(main, directory, (path,) if path is not None else ())
    runs = [d for d in main.declarations if isinstance(d, ast.Run)]
    for extra in runs[1:]:
        errors.report("a file has one run section", extra.loc, "merge the run sections")
    run = runs[0] if runs else None
    settings = RunSettings()
    if run is not None:
        with errors.collect(run.loc):
            settings = _settings(run, errors)
    own = [d for d in main.declarations if isinstance(d, ast.Network)]
    network = _top_network(run, own, library, errors)
    model, views = None, {}
    if network is None:  # a library: check the names of the neurons it defines
        composer = Composer(library.components, errors)
        for declaration in main.declarations:
            if isinstance(declaration, ast.Component) and declaration.kind == "neuron":
                composer.neuron(declaration.name)
            elif isinstance(declaration, ast.Component) and declaration.kind == "synapse":
                SynapseModel(declaration, None, errors, Values(None, directory)).check()
    else:
        builder = NetworkBuilder(library.components, library.networks, errors, directory,
                                 settings.method)
        with errors.collect(network.loc):
            model, scope = builder.build(network)
            views = scope.all_views()
        if model is not None:  # names and units, as `resolve` checks them: all errors at once
            errors.add_unreported(ir.model_errors(model))
    errors.check()
    return ModelFile(origin, model, None if network is None else network.name.text, settings, views,
                     tuple(library.components), tuple(library.networks))


def _top_network(run: ast.Run | None, own: list[ast.Network], library: _Library,
                 errors: Errors) -> ast.Network | None:
    if run is not None and run.network is not None:
        network = library.networks.get(run.network.text)
        if network is None:
            errors.report(f"unknown network '{run.network.text}'", run.network.loc,
                          did_you_mean(run.network.text, library.networks) or "define or import it")
        return network
    used = {item.network.text for n in own for item in n.items if isinstance(item, ast.Subnetwork)}
    top = [n for n in own if n.name.text not in used]
    if len(top) > 1:
        names = ", ".join(n.name.text for n in top)
        errors.report(f"the file defines {len(top)} networks: {names}", top[1].loc,
                      f"say which one runs: run {top[0].name.text} {{ ... }}")
        return None
    return top[0] if top else None


def _settings(run: ast.Run, errors: Errors) -> RunSettings:
    found: dict[str, object] = {}
    values = Values(None)
    for setting in run.settings:
        name = setting.name.text
        with errors.collect(setting.loc):
            if name not in SETTINGS:
                raise ModelError(f"unknown setting '{name}' in the run section", setting.name.loc,
                                 did_you_mean(name, SETTINGS, "settings"))
            if name in found:
                raise ModelError(f"'{name}' is set twice", setting.name.loc)
            found[name] = _setting(name, setting.value, values)
    return RunSettings(**found)


def _setting(name: str, value: ast.Value, values: Values):
    if name in ("dtype", "method"):
        expr = value.expr if isinstance(value, ast.Code) else None
        if not isinstance(expr, ir.Ref):
            example = "float64" if name == "dtype" else "rk4"
            raise ModelError(f"'{name}' is a name, such as {example}", value.loc)
        if name == "dtype" and expr.name not in DTYPES:
            raise ModelError(f"unknown dtype '{expr.name}'", value.loc,
                             did_you_mean(expr.name, DTYPES) or "float32 or float64")
        return expr.name
    number = values.evaluate(value)
    if not isinstance(number, Quantity) or number.ndim != 0:
        raise ModelError(f"'{name}' is one number", value.loc)
    if name == "seed":
        seed = float(number) if number.is_dimensionless else -1.0
        if not seed.is_integer() or seed < 0:
            raise ModelError("the seed is a whole number, 0 or more", value.loc)
        return int(seed)
    if not (number.dim == ir.TIME or number.is_dimensionless) or float(number.internal()) <= 0:
        raise ModelError(f"'{name}' must be a positive time, such as 0.1*ms", value.loc)
    return number
