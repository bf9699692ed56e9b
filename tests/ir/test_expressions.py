"""Expressions: printing with the fewest parentheses, parsing back, precedence.

The parser folds a minus sign applied to a constant into the constant
(`-3.0` reads back as `Const(-3.0)`, not `Unary('-', Const(3.0))`), so the
round trip is checked in two strengths: the printed text is always a fixed
point of print -> parse -> print, and the tree comes back equal to the
original with those negations folded (equal outright when there are none).
"""
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroflow.ir import (DIMENSIONLESS, Binary, Call, Const, Dimension, ParseError, Ref, Statement,
                          Unary, Where, parse_expr, parse_statements, to_text)
from neuroflow.ir import ARITHMETIC, COMPARISONS, LOGICAL

TIME = Dimension.of(s=1)
VOLTAGE = Dimension.of(m=2, kg=1, s=-3, A=-1)
DIMS = [
    DIMENSIONLESS,
    TIME,
    VOLTAGE,
    VOLTAGE / TIME,
    TIME ** -1,
    VOLTAGE ** 2,
    TIME ** Fraction(1, 2),
    TIME ** Fraction(-1, 2),
    Dimension.of(m=-2, kg=-1, s=3, A=2),  # conductance
    Dimension.of(K=1, mol=-2),  # no name: printed as a monomial with a negative exponent
]

a, b, c, x = Ref("a"), Ref("b"), Ref("c"), Ref("x")


def C(value, dim=DIMENSIONLESS):
    return Const(value, dim)


# ---- strategies ---------------------------------------------------------------------

names = st.sampled_from(["a", "b", "v", "g_e", "x1", "tau", "True", "t"])
numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e-300, -1e300, 5e-324, 1e16, 123456789.125]),
)
consts = st.builds(Const, numbers, st.sampled_from(DIMS))
leaves = st.one_of(consts, st.builds(Ref, names))


def _compound(children):
    ops = list(ARITHMETIC + COMPARISONS + LOGICAL)
    return st.one_of(
        st.builds(Unary, st.sampled_from(["-", "not"]), children),
        st.builds(Binary, st.sampled_from(ops), children, children),
        st.builds(lambda f, args: Call(f, tuple(args)),
                  st.sampled_from(["exp", "f", "clip", "rand"]), st.lists(children, max_size=3)),
        st.builds(Where, children, children, children),
    )


exprs = st.recursive(leaves, _compound, max_leaves=25)


def fold_negations(e):
    """What the parser does to a printed tree: a minus applied to a constant becomes the
    constant."""
    if isinstance(e, Unary):
        inner = fold_negations(e.operand)
        if e.op == "-" and isinstance(inner, Const):
            return Const(-inner.value, inner.dim)
        return Unary(e.op, inner)
    if isinstance(e, Binary):
        return Binary(e.op, fold_negations(e.left), fold_negations(e.right))
    if isinstance(e, Call):
        return Call(e.func, tuple(fold_negations(x) for x in e.args))
    if isinstance(e, Where):
        return Where(fold_negations(e.cond), fold_negations(e.then), fold_negations(e.other))
    return e


def has_where(e):
    if isinstance(e, Where):
        return True
    kids = {Unary: lambda u: (u.operand,), Binary: lambda y: (y.left, y.right),
            Call: lambda k: k.args}
    return any(has_where(k) for k in kids.get(type(e), lambda _: ())(e))


# ---- the round trip, as properties ---------------------------------------------------

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(exprs)
def test_print_parse_round_trip(e):
    text = to_text(e)
    back = parse_expr(text)
    # The text is always a fixed point of print -> parse -> print ...
    assert to_text(back) == text
    # ... and the tree comes back with minus-on-constant folded ...
    assert back == fold_negations(e)
    # ... so a tree with nothing to fold comes back equal.
    if fold_negations(e) == e:
        assert back == e


@FAST
@given(consts)
def test_constants_come_back_bit_for_bit(k):
    back = parse_expr(to_text(k))
    assert isinstance(back, Const)
    assert back.dim == k.dim
    assert repr(back.value) == repr(k.value)  # also tells -0.0 from 0.0


@pytest.mark.parametrize("e", [
    Unary("-", C(-3.0)),
    Unary("-", Unary("-", C(3.0))),
    Unary("-", C(-0.0)),
    Binary("**", Unary("-", C(-2.0, TIME)), a),
])
def test_negated_negative_constant_text_round_trip(e):
    text = to_text(e)
    assert to_text(parse_expr(text)) == text


def test_where_reads_back_as_where():
    e = Where(Binary(">", a, C(0.0)), a, Unary("-", a))
    assert parse_expr(to_text(e)) == e


# ---- hand-checked precedence ----------------------------------------------------------

@pytest.mark.parametrize("text, tree, canonical", [
    ("a - (b - c)", Binary("-", a, Binary("-", b, c)), "a - (b - c)"),
    ("a - b - c", Binary("-", Binary("-", a, b), c), "a - b - c"),
    ("(a - b) - c", Binary("-", Binary("-", a, b), c), "a - b - c"),
    ("(a + b)*c", Binary("*", Binary("+", a, b), c), "(a + b)*c"),
    ("a + b*c", Binary("+", a, Binary("*", b, c)), "a + b*c"),
    ("a/b*c", Binary("*", Binary("/", a, b), c), "a/b*c"),
    ("a/(b*c)", Binary("/", a, Binary("*", b, c)), "a/(b*c)"),
    ("a/(b/c)", Binary("/", a, Binary("/", b, c)), "a/(b/c)"),
    ("-x**2", Unary("-", Binary("**", x, C(2.0))), "-x**2.0"),
    ("-2.0**2", Unary("-", Binary("**", C(2.0), C(2.0))), "-2.0**2.0"),  # -(2**2), as in Python
    ("(-2.0)**2", Binary("**", C(-2.0), C(2.0)), "(-2.0)**2.0"),
    ("(-x)**2", Binary("**", Unary("-", x), C(2.0)), "(-x)**2.0"),
    ("2**-1", Binary("**", C(2.0), C(-1.0)), "2.0**-1.0"),
    ("2**-x", Binary("**", C(2.0), Unary("-", x)), "2.0**-x"),
    ("a**b**c", Binary("**", a, Binary("**", b, c)), "a**b**c"),  # right-associative
    ("(a**b)**c", Binary("**", Binary("**", a, b), c), "(a**b)**c"),
    ("-a*b", Binary("*", Unary("-", a), b), "-a*b"),
    ("-(a*b)", Unary("-", Binary("*", a, b)), "-(a*b)"),
    ("a*-b", Binary("*", a, Unary("-", b)), "a*-b"),
    ("a - -3", Binary("-", a, C(-3.0)), "a - -3.0"),
    ("--a", Unary("-", Unary("-", a)), "--a"),
    ("+a", a, "a"),
    ("not a < b", Unary("not", Binary("<", a, b)), "not a < b"),
    ("(not a) < b", Binary("<", Unary("not", a), b), "(not a) < b"),
    ("not a and b", Binary("and", Unary("not", a), b), "not a and b"),
    ("not (a and b)", Unary("not", Binary("and", a, b)), "not (a and b)"),
    ("a or b and c", Binary("or", a, Binary("and", b, c)), "a or b and c"),
    ("(a or b) and c", Binary("and", Binary("or", a, b), c), "(a or b) and c"),
    ("a and (b and c)", Binary("and", a, Binary("and", b, c)), "a and (b and c)"),
    ("a < b + c", Binary("<", a, Binary("+", b, c)), "a < b + c"),
    ("(a < b) == c", Binary("==", Binary("<", a, b), c), "(a < b) == c"),
    ("a + (not b)", Binary("+", a, Unary("not", b)), "a + (not b)"),
    ("5.0<ms>", C(5.0, TIME), "5.0<ms>"),
    ("-5<ms>", C(-5.0, TIME), "-5.0<ms>"),
    ("2.5<mV/ms>", C(2.5, VOLTAGE / TIME), "2.5<mV/ms>"),
    ("1e-3<ms^-1/2>", C(1e-3, TIME ** Fraction(-1, 2)), "0.001<ms^-1/2>"),
    ("v > 1.0<mV> and t < 5.0<ms>", Binary("and", Binary(">", Ref("v"), C(1.0, VOLTAGE)),
                                           Binary("<", Ref("t"), C(5.0, TIME))),
     "v > 1.0<mV> and t < 5.0<ms>"),
    ("exp(-a/b)", Call("exp", (Binary("/", Unary("-", a), b),)), "exp(-a/b)"),
    ("rand()", Call("rand", ()), "rand()"),
    ("clip(a, -1, b + 1)", Call("clip", (a, C(-1.0), Binary("+", b, C(1.0)))),
     "clip(a, -1.0, b + 1.0)"),
    (".5e1", C(5.0), "5.0"),
])
def test_precedence(text, tree, canonical):
    assert parse_expr(text) == tree
    assert to_text(tree) == canonical
    assert parse_expr(canonical) == tree


def test_negative_constant_folds_but_keeps_its_text():
    assert parse_expr(to_text(Unary("-", C(3.0)))) == C(-3.0)
    assert to_text(Unary("-", C(3.0))) == to_text(C(-3.0)) == "-3.0"
    assert to_text(Unary("-", C(5.0, TIME))) == "-5.0<ms>"


@pytest.mark.parametrize("text, column", [
    ("a < b < c", 7),  # comparisons do not chain
    ("a + * b", 5),
    ("a = b", 3),
    ("(a + b", 7),  # at the end of the text: just past its last character
    ("a +", 4),
    ("exp(a,)", 7),
])
def test_syntax_errors_point_at_the_offending_token(text, column):
    with pytest.raises(ParseError) as info:
        parse_expr(text)
    err = info.value
    assert err.loc.line == 1
    assert err.loc.column == column, str(err)
    assert err.hint


def test_statements():
    body = parse_statements("v = Vr; w += b\n\nx -= 2*y  # comment\ng /= 2")
    assert body == (Statement("v", "=", Ref("Vr")), Statement("w", "+=", b),
                    Statement("x", "-=", Binary("*", C(2.0), Ref("y"))),
                    Statement("g", "/=", C(2.0)))
    assert [s.text() for s in body] == ["v = Vr", "w += b", "x -= 2.0*y", "g /= 2.0"]
    assert body[1].as_assignment() == Binary("+", Ref("w"), b)
    assert body[3].as_assignment() == Binary("/", Ref("g"), C(2.0))
    assert body[0].as_assignment() == Ref("Vr")
