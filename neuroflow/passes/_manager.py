"""The pass manager: a registry of named passes and pipelines written as text.

A pass is a function `(Model, options) -> Model` registered with `@register_pass(name, Options)`,
where `Options` is a frozen dataclass whose fields are the pass's options.  Pipelines read like
`"resolve,canonicalize,integrate{method=rk4},kernels,schedule"`.
"""
from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field
from typing import Callable

from ..ir import Model, ModelError, NeuroflowError, did_you_mean, print_model, verify

DEFAULT_PIPELINE = "resolve,canonicalize,factorize,integrate,merge,delays,kernels,fuse,schedule"


@dataclass(frozen=True)
class NoOptions:
    pass


@dataclass(frozen=True)
class RegisteredPass:
    name: str
    run: Callable[[Model, object], Model]
    options: type


_REGISTRY: dict[str, RegisteredPass] = {}


def register_pass(name: str, options: type = NoOptions):
    """Register `fn(model, options) -> model` under `name` (usable from pipelines)."""
    def wrap(fn):
        known = _REGISTRY.get(name)
        # Running the same script twice registers the same function again; that is fine.
        if known is not None and _origin(known.run) != _origin(fn):
            raise ValueError(f"a pass named '{name}' is already registered"
                             f" (by {known.run.__qualname__})")
        _REGISTRY[name] = RegisteredPass(name, fn, options)
        return fn
    return wrap


def _origin(fn) -> tuple[str, str]:
    return fn.__code__.co_filename, fn.__qualname__


def registered_passes() -> dict[str, RegisteredPass]:
    return dict(_REGISTRY)


_STEP = re.compile(r"\s*([A-Za-z_][\w-]*)\s*(?:\{([^}]*)\})?\s*(?:,|$)")


def _convert(text: str, to: type, where: str):
    if to is bool or to == "bool":
        if text.lower() not in ("true", "false"):
            raise ModelError(f"{where}: expected true or false, got '{text}'")
        return text.lower() == "true"
    if to in (int, "int"):
        return int(text)
    if to in (float, "float"):
        return float(text)
    return text


def parse_pipeline(text: str,
                   defaults: dict[str, dict] | None = None) -> list[tuple[RegisteredPass, object]]:
    """`"a,b{x=1,y=true}"` -> the registered passes with their options.

    `defaults` (pass name -> option values) fills options the text does not set: how the
    compiler passes facts about the target (such as native kernels) without touching the text."""
    steps, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _STEP.match(text, pos)
        if not match or match.end() == pos:
            raise ModelError(f"cannot read the pipeline '{text}' at character {pos + 1}",
                             hint="write passes separated by commas, options in braces:"
                                  " integrate{method=rk4}")
        name, options_text = match.group(1), match.group(2)
        if name not in _REGISTRY:
            raise ModelError(f"unknown pass '{name}' in pipeline",
                             hint=did_you_mean(name, sorted(_REGISTRY), "registered"))
        registered = _REGISTRY[name]
        steps.append((registered, _options(registered, options_text or "",
                                           (defaults or {}).get(name, {}))))
        pos = match.end()
    return steps


def _options(registered: RegisteredPass, text: str, defaults: dict):
    fields = {f.name: f for f in dataclasses.fields(registered.options)}
    values = {key: value for key, value in defaults.items() if key in fields}
    for item in filter(None, (s.strip() for s in text.split(","))):
        key, _, raw = item.partition("=")
        key = key.strip()
        if key not in fields:
            raise ModelError(f"pass '{registered.name}' has no option '{key}'",
                             hint=f"options: {', '.join(fields) or 'none'}")
        values[key] = _convert(raw.strip(), fields[key].type, f"option {key} of {registered.name}")
    return registered.options(**values)


def excluded_populations(model: Model, option: str, pass_name: str) -> set[str]:
    """The populations an `exclude` option names (joined by '+'); an error for other names."""
    excluded = set(filter(None, option.split("+")))
    names = [p.name for p in model.populations]
    unknown = sorted(excluded - set(names))
    if unknown:
        raise ModelError(f"{pass_name}{{exclude=...}} names '{unknown[0]}', which is not a"
                         " population", hint=did_you_mean(unknown[0], names, "populations"))
    return excluded


@dataclass
class PassReport:
    """What a pipeline run did: per-pass timings and, if asked, the IR after passes."""

    timings: list[tuple[str, float]] = field(default_factory=list)
    printed: list[tuple[str, str]] = field(default_factory=list)

    def timing_table(self) -> str:
        return "\n".join(f"{name:<16} {seconds * 1e3:8.2f} ms" for name, seconds in self.timings)


def run_pipeline(model: Model, pipeline: str = DEFAULT_PIPELINE, *, verify_each: bool = False,
                 print_after: str = "none", report: PassReport | None = None,
                 defaults: dict[str, dict] | None = None) -> Model:
    """Run the passes of `pipeline` in order.

    `print_after` is "none", "all" (the IR after every pass), "changed" (only
    after passes that changed it) or "failure" (the IR given to a failing pass).
    """
    report = report if report is not None else PassReport()
    for registered, options in parse_pipeline(pipeline, defaults):
        label = registered.name
        start = time.perf_counter()
        try:
            new = registered.run(model, options)
            if verify_each:
                verify(new)
        except NeuroflowError:
            if print_after == "failure":
                report.printed.append((f"before failing pass {label}", print_model(model)))
            raise
        report.timings.append((label, time.perf_counter() - start))
        if print_after == "all" or (print_after == "changed" and new != model):
            report.printed.append((label, print_model(new)))
        model = new
    return model
