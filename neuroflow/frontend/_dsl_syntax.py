"""Syntax errors of `.nfl` files, in the model's terms.

Common mistakes are catalogued as small malformed examples; Lark's `match_examples` finds
the one whose parser state matches the error.  Anything else gets a generic message that
names what was found and what could come there.  The examples are parsed once and their
errors kept, so matching costs a few comparisons.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import lark

from ..ir import Loc, ParseError, did_you_mean, get_unit

DECLARATIONS = ("import", "neuron", "channel", "synapse", "network", "run")
COMPONENT_ITEMS = ("parameters", "equations", "initial", "threshold", "reset", "refractory",
                   "method", "on_pre", "on_post")
NETWORK_ITEMS = ("population", "projection", "input", "monitor", "view")
# followed by ':'
PROJECTION_SETTINGS = ("on_pre", "connect", "weights", "delay", "kernel", "synapse")
PROJECTION_ITEMS = PROJECTION_SETTINGS + ("initial",)
ITEMS = frozenset(COMPONENT_ITEMS + PROJECTION_ITEMS)  # each followed by ":" or "{"


@dataclass(frozen=True)
class Mistake:
    """A common mistake: `message` and `hint` may name `{token}` (what was found) and
    `{previous}` (the token before it); `suggest` lists words a misspelling may stand for."""

    message: str
    hint: str
    examples: tuple[str, ...]
    suggest: tuple[str, ...] = ()
    at_previous: bool = False  # point at the token before the unexpected one


def _neuron(body: str) -> str:
    return "neuron A {\n" + body


def _network(body: str) -> str:
    return "network N {\n" + body


MISTAKES = (
    Mistake("a ':' is missing before the unit '{token}'",
            "an equation line ends with ': unit', as in Brian2: 'dv/dt = -v/tau : volt'",
            (_neuron("equations {\ndv/dt = -v/tau volt\n"), _neuron("equations {\nI = g*v amp\n"),
             _neuron("equations {\nx volt\n"))),
    Mistake("an equation line cannot declare a name of a part ('{previous}.…')",
            "a part's names are declared in the part; the target of a summed variable is a"
            " variable of the post neuron itself ('I_post = ... (summed)'), not of a part",
            (_neuron("equations {\nexc.g_post = w : 1\n"),)),
    Mistake("the equation line has no unit",
            "end it with ': unit', e.g. ': volt', or ': 1' for a dimensionless variable",
            (_neuron("equations {\ndv/dt = -v/tau\n"), _neuron("equations { dv/dt = -v/tau }"),
             _neuron("equations {\nI = g*v\n"), _neuron("equations { I = g*v }"))),
    Mistake("'{token}' in a condition", "compare with '==', '<', '>', '<=' or '>='",
            (_neuron("threshold: v = 1\n"),)),
    Mistake("a ':' is missing after '{previous}'", "write '{previous}: ...'",
            tuple(_neuron(f"{word} x\n") for word in ("threshold", "refractory", "method"))
            + tuple(_network(f"projection P -> Q {{\n{word} x\n") for word in PROJECTION_SETTINGS)),
    Mistake("unexpected '{token}' after '{previous}'", "is the block above missing its '}}'?",
            (_neuron("parameters {\ntau = 1*ms\nequations {\n"),
             _neuron("initial {\nv = 1\nthreshold: v > 1\n"),
             _neuron("initial {\nv = 1\nreset {\n"),
             _network("projection P -> Q {\non_pre: v += 1\nmonitor spikes P\n"),
             _network("projection P -> Q {\non_pre: v += 1\npopulation P[1] = A()\n"))),
    Mistake("there is a '}}' too many", "remove it, or check which block it was meant to close",
            ("neuron A {\n}\n}", "network N {\n}\n}")),
    Mistake("unknown declaration '{token}'",
            "a file holds imports, neurons, channels, synapses, networks and a run section",
            ("nueron A {\n", "x = 1\n", "# a comment first\nnueron A {\n", "\nx = 1\n"),
            DECLARATIONS),
    Mistake("unknown block or setting '{previous}' in a neuron",
            "a neuron holds parameters, equations, initial, threshold, reset, refractory, method"
            " and parts such as 'Na = NaChannel()'",
            (_neuron("paramters {\n"), _neuron("treshold: v > 1\n"),
             _neuron("threshold: v > 1\nrest {\n")), COMPONENT_ITEMS, at_previous=True),
    Mistake("unknown item '{previous}' in a network", "a network holds populations, projections,"
            " inputs, monitors, views and subnetworks ('left = EINet()')",
            (_network("populaton P[1] = A()\n"), _network("monitr spikes P\n")), NETWORK_ITEMS,
            at_previous=True),
    Mistake("unknown projection setting '{token}'",
            "a projection has on_pre (or synapse and initial), connect, weights, delay and kernel",
            (_network("projection P -> Q {\nonpre: v += 1\n"),), PROJECTION_ITEMS),
    Mistake("'{previous}' must be followed by '=', '+=' or '-='",
            "a reset sets a variable ('v = Vr'); on_pre adds to one ('ge += w')",
            (_network("projection P -> Q {\non_pre: ge + 1\n"), _neuron("reset: v < 1\n"),
             _neuron("reset {\nv > 1\n"))),
    Mistake("'==' compares two values; a reset or an on_pre assigns", "write 'v = Vr' or 'ge += w'",
            (_neuron("reset: v == 1\n"), _network("projection P -> Q {\non_pre: ge == 1\n")),
            at_previous=True),
    # `population P = A()` fails at `A`, since `population S = spike_generator(...)` has no
    # size: the error is shown at the `=`, where the size was due
    Mistake("a population needs a size", "write 'population P[100] = LIF()'",
            (_network("population P = A()\n"),), at_previous=True),
    Mistake("a population needs a size", "write 'population P[100] = LIF()'",
            (_network("population P(10) = A()\n"),)),
    Mistake("'{previous}' must be called: '{previous}()'",
            "overrides go in the parentheses: LIF(v = -60*mV)",
            (_network("population P[10] = A\n"), _network("population P[10] = A }"),
             _neuron("Na = NaChannel\n"), _neuron("Na = NaChannel }"))),
    Mistake("a projection goes from one population to another",
            "write 'projection P[0:100] -> Q { ... }'",
            (_network("projection P Q {\n"), _network("projection P to Q {\n"),
             _network("projection P = Q {\n"))),
    Mistake("a projection needs a block after its populations",
            "write 'projection P -> Q { on_pre: ge += w }'",
            (_network("projection P -> Q\n"), _network("projection P -> Q on_pre: v += 1\n"))),
    Mistake("unexpected '{token}' after a value",
            "put one item on each line, or separate items with ';'",
            (_neuron("parameters {\ntau = 20 ms\n"), _neuron("initial {\nv = 20 mV\n"),
             _network("population P[1] = A(v = 1 mV)\n"), "run {\ndt = 0.1 ms\n",
             _network("projection P -> Q {\nweights: 1 nS\n"),
             _network("projection P -> Q {\ndelay: 1 ms\n"),
             _neuron("parameters {\ntau : second = 20 ms\n"), _neuron("Na = A(g = 1 nS)\n"))),
    Mistake("equations go in the 'equations' block", "move this line into 'equations { ... }'",
            (_neuron("parameters {\ndv/dt = -v/tau : volt\n"),
             _neuron("initial {\ndv/dt = -v/tau : volt\n"))),
    Mistake("the file to import is written in quotes", "write 'import \"channels.nfl\"'",
            ("import channels\n", "import channels.nfl\n")),
    Mistake("a setting needs '=': '{previous} = value'", "for example 'dt = 0.1*ms'",
            ("run {\ndt 0.1*ms\n", "run {\ndt: 0.1*ms\n")),
    Mistake("a parameter needs '=' and a value, or ':' and a unit",
            "write 'tau = 20*ms' or 'tau : second = 20*ms'",
            (_neuron("parameters {\ntau 20*ms\n"),)),
    Mistake("statements are separated by ';' or a new line, not ','", "write 'v = Vr; w += b'",
            (_neuron("reset {\nv = 1, w = 2\n"), _neuron("reset: v = 1, w = 2\n"))),
)


class _TopState:
    """A parser state compared by its LALR state only.  Lark's own comparison also wants the
    same stack depth, which differs with the nesting and the optional new lines before the
    error; the examples stand for a place in the grammar, whatever the depth."""

    __slots__ = ("position",)

    def __init__(self, position):
        self.position = position

    def __eq__(self, other) -> bool:
        return self.position == getattr(other, "position", None)

    def __hash__(self) -> int:
        return hash(self.position)


@cache
def _example_errors(parser: lark.Lark) -> dict[str, lark.exceptions.UnexpectedInput]:
    """The error each catalogued example raises, parsed once."""
    errors = {}
    for mistake in MISTAKES:
        for example in mistake.examples:
            try:
                parser.parse(example)
            except lark.exceptions.UnexpectedInput as err:
                if getattr(err, "state", None) is not None:
                    _ = getattr(err, "accepts", None)  # computed while the parser state is at hand
                    err.state = _TopState(err.state.position)
                errors[example] = err
    return errors


def match_mistake(err: lark.exceptions.UnexpectedInput, parser: lark.Lark) -> Mistake | None:
    """The catalogued mistake whose example fails in the same parser state as `err`."""
    if getattr(err, "state", None) is None:
        return None
    known = _example_errors(parser)

    def replay(example: str):
        if example in known:
            raise known[example]

    return err.match_examples(replay, [(m, m.examples) for m in MISTAKES], use_accepts=False)


# ---- describing tokens ------------------------------------------------------------------------

_DESCRIPTIONS = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a file name in quotes", "_NL": "a new line",
    "$END": "the end of the file", "DIFF": "an equation 'dx/dt'", "ASSIGN_OP": "'=', '+=' or '-='",
    "COMP_OP": "a comparison", "FLAG": "a name", "QUANTITY": "a number",
}


def _describe_token(token) -> str:
    if token.type == "_NL":
        return "the end of the line"
    text = str(token).split()[0] if str(token).split() else str(token)
    return f"'{text}'"


def _describe_expected(parser: lark.Lark, names: set[str]) -> str:
    words = []
    for name in sorted(names):
        if name in _DESCRIPTIONS:
            words.append(_DESCRIPTIONS[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            continue
        words.append(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
    words = sorted(set(words))
    if len(words) > 8:
        return "expected " + ", ".join(words[:8]) + " …"
    return "expected " + " or ".join(words) if words else ""


def _end_position(text: str) -> tuple[int, int]:
    lines = text.rstrip().splitlines() or [""]
    return len(lines), len(lines[-1]) + 1


def _code(line: str):
    """(column, character) of `line` outside strings and comments."""
    in_string = False
    for column, char in enumerate(line, start=1):
        if char == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif char == "#":
            return
        else:
            yield column, char


def _unclosed_brace(text: str) -> tuple[int, int] | None:
    """Line and column of the last '{' that no '}' closes (comments and strings skipped)."""
    stack: list[tuple[int, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for column, char in _code(line):
            if char == "{":
                stack.append((number, column))
            elif char == "}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def _closes_its_brackets(line: str) -> bool:
    depth = {"(": 0, "[": 0, "{": 0}
    for _, char in _code(line):
        if char in depth:
            depth[char] += 1
        elif char in ")]}":
            depth["([{"[")]}".index(char)]] -= 1
    return not any(depth.values())


def _fill(template: str, token: str, previous: str) -> str:
    return template.replace("{token}", token).replace("{previous}", previous).replace("}}", "}")


def syntax_error(err: lark.exceptions.UnexpectedInput, text: str, origin: str,
                 parser: lark.Lark) -> ParseError:
    """A `ParseError` at the place of `err`, with the catalogued message if one matches."""
    loc = Loc(origin, err.line, err.column, text)
    if isinstance(err, lark.exceptions.UnexpectedCharacters):
        char = text[err.pos_in_stream] if 0 <= err.pos_in_stream < len(text) else "?"
        hint = ("names are letters, digits and '_'; file names go in double quotes"
                if char != "'" else "file names go in double quotes: import \"file.nfl\"")
        return ParseError(f"unexpected character '{char}'", loc, hint)
    token = getattr(err, "token", None)
    accepts = getattr(err, "accepts", None) or err.expected
    if _at_end(err):
        brace = _unclosed_brace(text)
        if brace is not None:
            return ParseError("this '{' is never closed", Loc(origin, *brace, text),
                              "close the block with '}'")
        return ParseError("the file ends too early", Loc(origin, *_end_position(text), text),
                          _describe_expected(parser, accepts) or None)
    history = getattr(err, "token_history", None) or []
    previous = str(history[-1]) if history else ""
    found = _describe_token(token).strip("'")
    if found in ITEMS and text[token.end_pos:].lstrip(" \t").startswith(("{", ":")):
        return ParseError(f"'{found}' starts a new item, but the line goes on from the one"
                          " before it", loc, "put each item on its own line, or separate them"
                          " with ';'")
    mistake = match_mistake(err, parser)
    if mistake is not None and mistake.at_previous and history:
        loc = Loc(origin, history[-1].line, history[-1].column, text)
    if mistake is not None:
        guess = did_you_mean(found if "{token}" in mistake.message else previous, mistake.suggest)
        hint = guess or _fill(mistake.hint, found, previous)
        if "after a value" in mistake.message and get_unit(found) is not None:
            hint = f"a number and its unit are multiplied: write '...*{found}'"
        return ParseError(_fill(mistake.message, found, previous), loc, hint)
    if "RPAR" in accepts and token.type in ("_NL", "COLON", "RBRACE"):
        return ParseError("a ')' is missing", loc, "check that parentheses are balanced")
    message = ("the line ends too early" if token.type == "_NL"
               else f"unexpected {_describe_token(token)}")
    return ParseError(message, loc, _describe_expected(parser, accepts) or None)


def _at_end(err: lark.exceptions.UnexpectedInput) -> bool:
    token = getattr(err, "token", None)
    return (isinstance(err, lark.exceptions.UnexpectedEOF)
            or (token is not None and token.type == "$END"))


def syntax_errors(first: lark.exceptions.UnexpectedInput, text: str, origin: str,
                  parser: lark.Lark, most: int = 20) -> list[ParseError]:
    """`first` and the syntax errors after it, at most `most`.  The line of each error is
    blanked (with spaces: every position stays) and the file parsed again.  To report no error
    that a blanked line made up, this goes on only while the blanked line closes every bracket it
    opens and each new error lies below the line blanked before it."""
    errors = [syntax_error(first, text, origin, parser)]
    lines = text.splitlines(keepends=True)
    err, blanked = first, 0
    while len(errors) < most and not _at_end(err):
        line = err.line
        if not (blanked < line <= len(lines)) or not _closes_its_brackets(lines[line - 1]):
            break
        lines[line - 1] = re.sub(r"[^\r\n]", " ", lines[line - 1])
        blanked = line
        try:
            parser.parse("".join(lines))
            break
        except lark.exceptions.UnexpectedInput as later:
            err = later
        if err.line <= blanked:
            break
        errors.append(syntax_error(err, text, origin, parser))
    return errors
