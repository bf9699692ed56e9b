"""A fuzzer for model files: generated and mutated `.nfl` texts, each checked in a worker process.

Inputs come from two sources, chosen per input from one seed, so that input `i` of seed `s` is
always the same text:

- `generate(rng)`: a random derivation of the `.nfl` grammar itself (the parser's compiled
  rules), its names and numbers drawn from those the example files use, plus a few hostile ones;
- `mutate(text, rng)`: an example file (or a standard-library file) with a few tokens or lines
  deleted, duplicated, swapped or inserted, or a number changed.

`check(text)` does what `neuroflow check` does: load, resolve, run the default pipeline; for
a fraction of the inputs that pass, it also compiles the model and runs it for two steps.
Every input must end in success or a `NeuroflowError`, within 5 s of CPU time.  `run(seed,
count)` checks the inputs in worker processes with a memory limit (RLIMIT_AS) and a time limit
(a worker that hangs is replaced), and returns what each input that failed did, with its text,
so that it can be added as a regression test:

    python -m tests.frontend.nfl_fuzz --seed 1 --count 10000 --workers 2
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import resource
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
STDLIB = ROOT / "neuroflow" / "stdlib"
CHECK_SECONDS = 5.0  # the most CPU time an input may take to be checked (rejected or accepted)
HANG_SECONDS = 60.0  # a check that has not answered by then (wall clock, on a loaded machine)
RUN_SECONDS = 120.0  # compiling and stepping a model that passed: JAX's compilation included
MEMORY_BYTES = 6 * 2**30  # address space of a worker (JAX reserves a good part of it)
COMPILE_EVERY = 20  # one input in this many is also compiled and run, if it passes the check

TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+\.?\d*(?:[eE][+-]?\d+)?|\*\*|[+\-*/<>=!]=|->|\S")
NUMBER = re.compile(r"\d+\.?\d*(?:[eE][+-]?\d+)?")
HOSTILE_NUMBERS = ("0", "1", "2", "0.5", "1e309", "1e-320", "2147483647", "2147483648",
                   "4294967296", "1e9", "1e18", "99999999999999999999", "0.0", "3.7", "-1")


@cache
def sources() -> dict[str, str]:
    """The texts that are mutated: every example file and two standard-library files."""
    texts = {path.name: path.read_text() for path in sorted(EXAMPLES.glob("*.nfl"))}
    for name in ("hodgkin_huxley.nfl", "plasticity.nfl"):
        texts[name] = (STDLIB / name).read_text()
    return texts


# ---- mutation ---------------------------------------------------------------------------------

def _edit(items: list[str], kind: str, a: int, b: int, pool: list[str]) -> list[str]:
    """`items` with one edit; the result has as many items, so that the text between them stays
    (a deleted one becomes empty, a duplicated or inserted one shares its slot)."""
    items = list(items)
    a, b = a % len(items), b % len(items)
    if kind == "delete":
        items[a] = ""
    elif kind == "duplicate":
        items[a] = f"{items[a]} {items[a]}"
    elif kind == "swap":
        items[a], items[b] = items[b], items[a]
    elif kind == "insert":
        items[a] = f"{pool[b % len(pool)]} {items[a]}"
    return items


def mutate_once(text: str, unit: str, kind: str, a: int, b: int) -> str:
    if unit == "line":
        lines = text.split("\n")
        edited = _edit(lines, kind, a, b, lines)
        return "\n".join(line for line, old in zip(edited, lines) if line or not old)
    pieces = re.split(f"({TOKEN.pattern})", text)  # text between tokens, a token, text, ...
    tokens = pieces[1::2]
    if not tokens:
        return text
    if kind == "number":
        spots = [i for i, token in enumerate(tokens) if NUMBER.fullmatch(token)]
        if not spots:
            return text
        tokens[spots[a % len(spots)]] = HOSTILE_NUMBERS[b % len(HOSTILE_NUMBERS)]
    else:
        tokens = _edit(tokens, kind, a, b, vocabulary()["tokens"])
    pieces[1::2] = tokens
    return "".join(pieces)


def mutate(text: str, rng: random.Random, edits: int) -> str:
    for _ in range(edits):
        unit = rng.choice(["token", "token", "token", "line"])
        kinds = ["delete", "duplicate", "swap", "insert"] + (["number"] if unit == "token" else [])
        text = mutate_once(text, unit, rng.choice(kinds), rng.randrange(1 << 30),
                           rng.randrange(1 << 30))
    return text


# ---- generation from the grammar ----------------------------------------------------------------

@cache
def vocabulary() -> dict[str, list[str]]:
    """Names and tokens of the example files, to fill the grammar's NAME and the insertions."""
    tokens = sorted({t for text in sources().values() for t in TOKEN.findall(text)})
    keywords = {"or", "and", "not"} | set(_SAMPLES) | {
        t.pattern.value for t in _parser().terminals if t.pattern.type == "str"}
    names = [t for t in tokens if re.fullmatch(r"[A-Za-z_]\w*", t) and t not in keywords]
    return {"tokens": tokens, "names": names + ["_x", "__LINE__", "i", "t", "dt", "xi", "N"]}


# Samples of the terminals that are patterns rather than fixed strings.
_SAMPLES = {
    "NUMBER": HOSTILE_NUMBERS[:-1] + ("10", "20", "0.02", "100", "4000", "1.5", ".5", "1e3"),
    "QUANTITY": ("1<mV>", "0.5<ms>", "2<1>"),
    "COMP_OP": ("<", ">", "<=", ">=", "==", "!="),
    "ASSIGN_OP": ("=", "+=", "-=", "*=", "/="),
    "DIFF": ("dv/dt", "dge/dt", "dw/dt", "dx/dt", "dI/dt", "dnew/dt"),
    "FLAG": ("unless refractory", "constant", "shared", "linked", "bogus"),
    "STRING": ('"neurons.nfl"', '"synapses.nfl"', '"hodgkin_huxley.nfl"', '"x.nfl"', '"w.npy"',
               '""', '"coba.nfl"'),
    "SURROGATE_OPEN": ("(surrogate =",),
    "_NL": ("\n", ";", "\n  # note\n"),
    "COMMENT": ("# a comment",),
    "WS_INLINE": (" ",),
}


def _parser():
    from neuroflow.frontend._dsl_parse import dsl_parser
    return dsl_parser()


@cache
def _grammar():
    """The parser's compiled rules by name, and for each name the least depth of a derivation."""
    parser = _parser()
    rules: dict[str, list[tuple]] = {}
    for rule in parser.rules:
        rules.setdefault(rule.origin.name, []).append(tuple(rule.expansion))
    literals = {t.name: t.pattern.value for t in parser.terminals if t.pattern.type == "str"}
    depth = {name: float("inf") for name in rules}
    changed = True
    while changed:  # the least fixed point: a rule's depth is one more than its deepest symbol
        changed = False
        for name, expansions in rules.items():
            best = min(1 + max([depth.get(s.name, 0) if not s.is_term else 0 for s in e],
                               default=0) for e in expansions)
            if best < depth[name]:
                depth[name], changed = best, True
    return rules, literals, depth


def generate(rng: random.Random, max_depth: int = 14) -> str:
    rules, literals, depth = _grammar()
    names = vocabulary()["names"]
    out: list[str] = []

    def expand(symbol, level: int) -> None:
        if symbol.is_term:
            if symbol.name in literals:
                out.append(literals[symbol.name])
            elif symbol.name == "NAME":
                out.append(rng.choice(names))
            else:
                out.append(rng.choice(_SAMPLES[symbol.name]))
            return
        expansions = rules[symbol.name]
        if level + depth[symbol.name] >= max_depth:  # deep enough: finish as soon as possible
            shortest = min(1 + max([0] + [depth[s.name] for s in e if not s.is_term])
                           for e in expansions)
            expansions = [e for e in expansions
                          if 1 + max([0] + [depth[s.name] for s in e if not s.is_term]) == shortest]
        for child in rng.choice(expansions):
            expand(child, level + 1)

    from lark.grammar import NonTerminal
    expand(NonTerminal("start"), 0)
    text = ""
    for token in out:
        text += token if token in ("\n", ";") or token.startswith("\n") else f" {token}"
    return text


def make_input(seed: int, index: int) -> tuple[str, str]:
    """Input `index` of `seed`: (how it was made, its text)."""
    rng = random.Random(f"{seed}/{index}")
    if rng.random() < 0.3:
        text = generate(rng)
        return "generated", mutate(text, rng, rng.randrange(2)) if rng.random() < 0.3 else text
    name = rng.choice(sorted(sources()))
    return f"mutated {name}", mutate(sources()[name], rng, rng.randint(1, 3))


# ---- checking one input -------------------------------------------------------------------------

def check(text: str, origin: str = "fuzz.nfl"):
    """What `neuroflow check` does; returns the model after the default pipeline, or None for a
    file without a network.  A neuroflow error propagates."""
    from neuroflow import ir
    from neuroflow.frontend import load_text
    from neuroflow.passes import DEFAULT_PIPELINE, run_pipeline
    loaded = load_text(text, origin, EXAMPLES)
    if loaded.model is None:
        return None
    model = run_pipeline(loaded.model, "resolve")
    model = model.replace(ir.Clock(0.1)) if "clock" in model else model.add(ir.Clock(0.1))
    run_pipeline(model, DEFAULT_PIPELINE)
    return loaded


def compile_and_step(loaded) -> None:
    """Compile with the pure-JAX kernels and run two steps."""
    import neuroflow as nf
    sim = nf.compile(loaded.model, dt=0.1, native=False)
    sim.run(0.2)


def outcome(error: BaseException | None) -> str:
    """`ok`, `neuroflow`, or the kind of anything else (a finding)."""
    from neuroflow import NeuroflowError
    if error is None:
        return "ok"
    if isinstance(error, NeuroflowError):
        error.format()  # it must print
        return "neuroflow"
    return type(error).__name__


def _worker(connection, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    import warnings
    warnings.simplefilter("ignore")
    import neuroflow  # noqa: F401 -- imported before the clock starts
    connection.send("ready")
    while True:
        job = connection.recv()
        if job is None:
            return
        text, compile_it = job
        loaded, error = None, None
        start = time.process_time()  # CPU time: other processes on the machine do not count
        try:
            loaded = check(text)
        except BaseException as err:  # noqa: BLE001 -- every kind is a result here
            error = err
        connection.send((outcome(error), _describe(error), time.process_time() - start))
        if compile_it and error is None:  # the parent waits for a second answer
            try:
                if loaded is not None:
                    compile_and_step(loaded)
            except BaseException as err:  # noqa: BLE001
                error = err
            connection.send((outcome(error), _describe(error)))


def _describe(error: BaseException | None) -> str:
    if error is None:
        return ""
    from neuroflow import NeuroflowError
    if isinstance(error, NeuroflowError):
        return error.message
    return "".join(traceback.format_exception(error)[-6:])


@dataclass
class Finding:
    seed: int
    index: int
    source: str
    kind: str
    detail: str
    text: str

    def report(self) -> str:
        return (f"input {self.index} of seed {self.seed} ({self.source}): {self.kind}\n"
                f"{self.detail}\n----- text -----\n{self.text}\n----------------")


class _Worker:
    def __init__(self, memory: int):
        context = multiprocessing.get_context("spawn")  # no fork of a process that runs JAX
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_worker, args=(theirs, memory), daemon=True)
        self.process.start()
        theirs.close()
        if not self.connection.poll(120) or self.connection.recv() != "ready":
            raise RuntimeError("a fuzzing worker did not start")

    def answer(self, seconds: float):
        """The next result, or None if none came in time (the worker is then stopped)."""
        try:
            if self.connection.poll(seconds):
                return self.connection.recv()
        except EOFError:
            return ("crash", f"the worker died (exit code {self.process.exitcode})")
        self.stop()
        return None

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


def _one(worker: _Worker, text: str, compile_it: bool, seconds: float):
    worker.connection.send((text, compile_it))
    answer = worker.answer(HANG_SECONDS)
    if answer is None:
        return ("timeout", f"no answer within {HANG_SECONDS:g} s"), None
    if len(answer) == 2:  # the worker died
        return answer, None
    kind, detail, elapsed = answer
    ran = None
    if compile_it and kind == "ok":  # the worker goes on to compile and run it
        ran = worker.answer(RUN_SECONDS) or ("timeout", f"not run within {RUN_SECONDS:g} s")
    answer = (kind, detail)
    if elapsed > seconds:
        answer = ("slow", f"checked in {elapsed:.1f} s of CPU time, more than {seconds:g} s")
    return answer, (elapsed, ran)


def _serve(seed: int, indices: list[int], memory: int, seconds: float, results) -> None:
    """Check the inputs `indices` one by one in a worker, restarting it after a timeout or crash."""
    worker = _Worker(memory)
    for index in indices:
        source, text = make_input(seed, index)
        compile_it = index % COMPILE_EVERY == 0
        answer, extra = _one(worker, text, compile_it, seconds)
        results.put((index, source, answer, extra))
        ran = extra[1] if extra else None
        if answer[0] in ("timeout", "crash") or (ran and ran[0] in ("timeout", "crash")):
            worker.stop()
            worker = _Worker(memory)
    worker.connection.send(None)
    worker.process.join()


@dataclass
class Summary:
    counts: Counter
    compiled: Counter
    findings: list[Finding]
    slowest: float


def run(seed: int, count: int, workers: int = 2, memory: int = MEMORY_BYTES,
        seconds: float = CHECK_SECONDS) -> Summary:
    """Check inputs 0..count-1 of `seed` in `workers` processes."""
    import threading
    from queue import Queue
    results: Queue = Queue()
    shares = [list(range(w, count, workers)) for w in range(workers)]
    threads = [threading.Thread(target=_serve, args=(seed, share, memory, seconds, results))
               for share in shares if share]
    for thread in threads:
        thread.start()
    counts, compiled, findings, slowest = Counter(), Counter(), [], 0.0
    for _ in range(count):
        index, source, answer, extra = results.get()
        counts[answer[0]] += 1
        kinds = [answer]
        if extra is not None:
            slowest = max(slowest, extra[0])
            if extra[1] is not None:
                compiled[extra[1][0]] += 1
                kinds.append(extra[1])
        for kind, detail in kinds:
            if kind not in ("ok", "neuroflow"):
                findings.append(Finding(seed, index, source, kind, detail,
                                        make_input(seed, index)[1]))
    for thread in threads:
        thread.join()
    findings.sort(key=lambda f: f.index)
    return Summary(counts, compiled, findings, slowest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--show", type=int, default=5, help="findings printed in full")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    summary = run(args.seed, args.count, args.workers)
    for finding in summary.findings[:args.show]:
        print(finding.report())
    by_kind = Counter(f.kind for f in summary.findings)
    print(f"{args.count} inputs in {time.perf_counter() - start:.0f} s: {dict(summary.counts)};"
          f" compiled and run: {dict(summary.compiled)}; slowest check {summary.slowest:.2f} s")
    print(f"findings by kind: {dict(by_kind)}")
    return 1 if summary.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
