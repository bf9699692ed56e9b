"""Units: dimension algebra, internal-unit conversions, text round trip, quantities.

Expected numbers are worked out by hand from SI definitions, not taken from the module.
"""
import pickle
import random
import re
from dataclasses import FrozenInstanceError
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import neuroflow.units as units
from neuroflow.ir._dimensions import CONDUCTANCE, FREQUENCY, RESISTANCE, TIME, VOLTAGE
from neuroflow.units import (
    DIMENSIONLESS, UNIT_NAMES, Dimension, DimensionMismatch, Quantity, as_quantity,
    cm, cm2, farad, get_unit, Hz, is_dimensionless, kohm, litre, metre, meter, mM, mA,
    Mohm, molar, ms, mS, mV, nA, nS, ohm, pA, pF, parse_dimension, second, siemens, uA, uF,
    um2, um3, volt,
)

approx = pytest.approx

# ---- Dimension -------------------------------------------------------------

V_DIM = Dimension.of(m=2, kg=1, s=-3, A=-1)  # volt = kg m^2 s^-3 A^-1


def test_dimension_algebra():
    assert volt.dim == V_DIM
    assert siemens.dim == Dimension.of(m=-2, kg=-1, s=3, A=2)
    assert V_DIM / Dimension.of(A=1) == Dimension.of(m=2, kg=1, s=-3, A=-2)
    assert Dimension.of(s=1) * Dimension.of(s=-1) == DIMENSIONLESS
    assert (Dimension.of(s=1) ** Fraction(-1, 2)).exponents[2] == Fraction(-1, 2)
    assert Dimension.of(m=1) ** 3 == Dimension.of(m=3)
    assert DIMENSIONLESS.is_dimensionless and not V_DIM.is_dimensionless
    assert len({Dimension.of(s=1), Dimension.of(s=Fraction(2, 2)), V_DIM}) == 2


def test_dimension_checks_itself():
    with pytest.raises(ValueError):
        Dimension((1, 2))
    with pytest.raises(TypeError):
        Dimension.of(s=0.5)
    with pytest.raises(FrozenInstanceError):
        V_DIM.exponents = ()


@pytest.mark.parametrize("dim, scale", [
    (Dimension.of(m=2, kg=1, s=-3, A=-1), 1e-3),     # mV
    (Dimension.of(s=-1), 1e3),                       # 1/ms
    (Dimension.of(s=1), 1e-3),                       # ms
    (Dimension.of(m=-2, kg=-1, s=3, A=2), 1e-9),     # nS
    (Dimension.of(m=-2, kg=-1, s=4, A=2), 1e-12),    # pF
    (Dimension.of(m=-4, kg=-1, s=4, A=2), 1.0),      # pF/um^2 = 1e-12 F / 1e-12 m^2
    (Dimension.of(m=2, kg=1, s=-3, A=-2), 1e9),      # mV/pA = GOhm
    (Dimension.of(kg=1), 1e-12),                     # ng
    (Dimension.of(mol=1, m=-3), 1e18),               # mol/um^3
    (DIMENSIONLESS, 1.0),
])
def test_internal_scale(dim, scale):
    assert dim.internal_scale() == scale


def test_internal_scale_fractional():
    assert Dimension.of(s=Fraction(-1, 2)).internal_scale() == approx(1e3 ** 0.5)


@pytest.mark.parametrize("dim, text", [
    (DIMENSIONLESS, "1"),
    (Dimension.of(s=1), "ms"),
    (V_DIM, "mV"),
    (Dimension.of(A=1), "pA"),
    (Dimension.of(m=-2, kg=-1, s=3, A=2), "nS"),
    (Dimension.of(s=-1), "1/ms"),
    (V_DIM / Dimension.of(s=1), "mV/ms"),
    (Dimension.of(s=Fraction(-1, 2)), "ms^-1/2"),
    (V_DIM * Dimension.of(s=Fraction(-1, 2)), "mV/ms^1/2"),
    (Dimension.of(m=-4, kg=-1, s=4, A=2), "pF/um^2"),
    (Dimension.of(m=2, kg=1, s=-3, A=-2), "mV/pA"),
    (Dimension.of(m=2, kg=1, s=-3, A=-1, K=1), "mV*K"),
    (Dimension.of(m=Fraction(-3, 2), mol=1), "um^-3/2*mol"),
])
def test_dimension_text(dim, text):
    assert str(dim) == text
    assert parse_dimension(text) == dim


def test_text_round_trip_many_random_dimensions():
    rng = random.Random(1234)
    for _ in range(3000):
        exps = [Fraction(rng.randint(-6, 6), rng.choice([1, 1, 1, 2, 3, 4])) for _ in range(7)]
        exps = [e if rng.random() < 0.6 else 0 for e in exps]
        dim = Dimension(tuple(exps))
        assert parse_dimension(str(dim)) == dim, str(dim)


EXPONENTS = st.fractions(min_value=-20, max_value=20, max_denominator=6)


@given(st.lists(EXPONENTS, min_size=7, max_size=7))
def test_text_round_trip_hypothesis(exps):
    dim = Dimension(tuple(exps))
    assert parse_dimension(str(dim)) == dim


def test_parse_symbols_are_internal_units():
    # Each symbol the text may use must be one internal unit, i.e. its own SI size.
    for text, si in [("mV", 1e-3), ("nS", 1e-9), ("pF", 1e-12), ("pA", 1e-12), ("ms", 1e-3),
                     ("um", 1e-6), ("ng", 1e-12), ("K", 1.0), ("mol", 1.0), ("cd", 1.0)]:
        assert parse_dimension(text).internal_scale() == si


@pytest.mark.parametrize("text", ["", "mS", "mV**2", "mV^", "*mV", "mV/", "mV ms", "2", "Hz"])
def test_parse_errors(text):
    with pytest.raises(ValueError):
        parse_dimension(text)


def test_dimension_text_fits_ir_quantity_token():
    # The IR lexer reads constants as 1.5<...> with only these characters inside.
    dim = Dimension.of(m=Fraction(-3, 2), kg=2, s=Fraction(1, 3), A=-1, K=1, mol=-2, cd=1)
    assert re.fullmatch(r"[A-Za-z0-9_^/*\-]+", str(dim))


# ---- conversions against hand-computed SI values ----------------------------

@pytest.mark.parametrize("quantity, internal", [
    (uF / cm2, 0.01),        # 1e-6 F / 1e-4 m^2 = 1e-2 F/m^2; internal pF/um^2 = 1 F/m^2
    (mS / cm2, 0.01),        # 10 S/m^2; internal nS/um^2 = 1e3 S/m^2
    (uA / cm2, 0.01),        # 1e-2 A/m^2; internal pA/um^2 = 1 A/m^2
    (20 * ms, 20.0),
    (1 * second, 1000.0),
    (0.6 * nS * mV, 0.6),    # 0.6e-9 S * 1e-3 V = 0.6e-12 A
    (6 * nS * (10 * mV), 60.0),
    (1 * Hz, 1e-3),          # 1/s = 1e-3 /ms
    (1 * nA, 1000.0),
    (1 * volt, 1000.0),
    (1 * Mohm, 1e-3),        # 1e6 ohm; internal mV/pA = 1e9 ohm
    (1 * cm, 1e4),
    (1 * um2, 1.0),
    (200 * pF * mV / ms, 200.0),  # pF*mV/ms = 1e-12*1e-3/1e-3 A = pA
])
def test_internal_values(quantity, internal):
    assert quantity.internal() == approx(internal, rel=1e-12)


def test_brief_conversions_are_exact():
    assert (uF / cm2).internal() == 0.01
    assert (mS / cm2).internal() == 0.01
    assert (uA / cm2).internal() == 0.01
    assert (20 * ms).internal() == 20.0
    assert (1 * second).internal() == 1000.0
    assert (1 * Hz).internal() == 1e-3
    assert (6 * nS * 10 * mV).dim == pA.dim


@pytest.mark.parametrize("quantity, si", [
    (mS / cm2, 10.0),
    (20 * ms, 0.02),
    (-55 * mV, -0.055),
    (3 * kohm, 3000.0),
    (1 * mM, 1.0),           # 1 mmol/L = 1 mol/m^3
    (1 * molar, 1000.0),
    (1 * litre, 1e-3),
    (1 * um3, 1e-18),
    (2 * meter, 2.0),
    (1 * units.kilogram, 1.0),
    (1 * units.gram, 1e-3),
    (1 * units.ng, 1e-12),
    (5 * units.kHz, 5000.0),
])
def test_si_values(quantity, si):
    assert quantity.si() == approx(si, rel=1e-12)


def test_to_and_from_si():
    assert (20 * ms).to(second) == approx(0.02)
    assert (1 * molar).to(mM) == approx(1000.0)
    assert (1 * mA).to("uA") == approx(1000.0)
    assert Quantity.from_si(-0.065, V_DIM).internal() == approx(-65.0)
    with pytest.raises(DimensionMismatch):
        (1 * mV).to(ms)
    with pytest.raises(ValueError):
        (1 * mV).to("nonsense")


def test_units_combine_dimensions():
    assert (siemens / meter**2).dim == Dimension.of(m=-4, kg=-1, s=3, A=2)
    assert (volt / ohm).dim == units.amp.dim
    assert (farad * volt).dim == units.coulomb.dim
    assert (1 / Hz).dim == second.dim
    assert (nS / pF).dim == FREQUENCY
    assert (mV / pA).dim == RESISTANCE and (pA / mV).dim == CONDUCTANCE


# ---- quantities -------------------------------------------------------------

def test_mismatch_raises_with_si_words():
    with pytest.raises(DimensionMismatch) as info:
        mV + ms
    assert "volt" in str(info.value) and "second" in str(info.value)
    with pytest.raises(DimensionMismatch):
        mV < ms
    with pytest.raises(DimensionMismatch):
        mV - ms
    with pytest.raises(DimensionMismatch):
        mV == ms
    with pytest.raises(DimensionMismatch):
        mV + 1


def test_mismatch_pickles():
    error = pickle.loads(pickle.dumps(DimensionMismatch("cannot add", V_DIM, TIME)))
    assert str(error) == "cannot add: volt vs second"
    assert error.left == VOLTAGE and error.right == TIME


def test_arithmetic_and_comparisons():
    v = -65 * mV
    assert (v + 10 * mV).internal() == approx(-55.0)
    assert (v - 10 * mV).internal() == approx(-75.0)
    assert (-v).internal() == approx(65.0) and abs(v).internal() == approx(65.0)
    assert (+v).identical(v)
    assert v < -50 * mV and v <= v and -0.07 * volt < v and v >= -65 * mV and v > -70 * mV
    assert v == -0.065 * volt and v != -64 * mV
    assert (2 / ms).internal() == approx(2.0) and (2 / ms).dim == FREQUENCY
    assert 1 - (ms / ms) == 0 and 0.5 < ms / ms  # plain numbers meet dimensionless quantities


def test_dimensionless_results_stay_quantities():
    ratio = (20 * ms) / (10 * ms)
    assert isinstance(ratio, Quantity) and ratio.is_dimensionless
    assert float(ratio) == approx(2.0)
    assert is_dimensionless(ratio) and is_dimensionless(3.0) and not is_dimensionless(mV)
    with pytest.raises(DimensionMismatch):
        float(3 * mV)


def test_powers():
    assert ((3 * mV) ** 2).internal() == approx(9.0) and ((3 * mV) ** 2).dim == VOLTAGE**2
    noise = (4 * ms) ** Fraction(-1, 2)
    assert noise.dim == Dimension.of(s=Fraction(-1, 2)) and noise.internal() == approx(0.5)
    assert ((4 * ms) ** 0.5).dim == TIME ** Fraction(1, 2)
    assert (mV ** as_quantity(2)).dim == VOLTAGE**2
    assert (2 ** (ms / ms)).internal() == approx(2.0)
    squares_and_roots = as_quantity(np.array([1.0, 4.0])) ** np.array([2, 0.5])
    assert squares_and_roots.internal() == approx([1.0, 2.0])
    with pytest.raises(DimensionMismatch):
        2 ** ms
    with pytest.raises(ValueError):
        mV ** np.array([1, 2])
    with pytest.raises(ValueError):
        mV ** 0.123456789


def test_numpy_interplay():
    q = np.arange(3) * mV
    assert isinstance(q, Quantity) and q.shape == (3,) and q.ndim == 1 and len(q) == 3
    assert np.array_equal(q.internal(), [0.0, 1.0, 2.0])
    assert (mV * np.arange(3)).identical(q)
    assert (np.float64(2) * mV).internal() == 2.0
    assert (q[1] == 1 * mV) and q[1:].identical(Quantity(np.array([1.0, 2.0]), VOLTAGE))
    assert [x.internal() for x in q] == [0.0, 1.0, 2.0]
    assert np.array_equal(q < 1.5 * mV, [True, True, False])
    assert np.array_equal(np.arange(3) < 1.5 * (ms / ms), [True, True, False])
    with pytest.raises(DimensionMismatch):
        np.arange(3) < 1.5 * mV  # numpy defers to the quantity, which checks
    assert np.array_equal(np.asarray(np.arange(3) * (ms / ms)), [0.0, 1.0, 2.0])
    assert ([1.0, 2.0] * ms).shape == (2,)
    with pytest.raises(TypeError):
        np.asarray(q)  # a silent dimension drop is refused


def test_immutable():
    source = np.array([1.0, 2.0])
    q = source * mV
    source[0] = 99.0
    assert q.internal()[0] == 1.0
    with pytest.raises(ValueError):
        q.internal()[0] = 5.0
    with pytest.raises(FrozenInstanceError):
        q.dim = TIME


def test_hash_agrees_with_equality():
    assert len({20 * ms, 0.02 * second, 20.0 * ms}) == 1
    assert hash(as_quantity(2.0)) == hash(2.0)
    with pytest.raises(TypeError):
        hash(np.arange(2) * ms)


def test_as_quantity():
    assert as_quantity(mV) is mV
    assert as_quantity(3).identical(Quantity(3.0))
    assert as_quantity([1, 2]).shape == (2,)
    with pytest.raises(TypeError):
        as_quantity("3 mV")


@pytest.mark.parametrize("quantity, text", [
    (20 * ms, "20. ms"),
    (-55 * mV, "-55. mV"),
    (np.arange(3) * mV, "array([0., 1., 2.]) mV"),
    (10 * Hz, "10. Hz"),
    (0.5 * nS, "0.5 nS"),
    (100 * Mohm, "100. Mohm"),
    (as_quantity(3), "3."),
    (uF / cm2, "0.01 pF/um^2"),
])
def test_repr(quantity, text):
    assert repr(quantity) == text


# ---- unit registry ----------------------------------------------------------

BRIAN_NAMES = """
metre meter kilogram gram second amp ampere kelvin mole mol candela volt siemens farad
ohm hertz coulomb joule watt newton pascal litre liter molar
mV uV nV mvolt ms us ns msecond usecond nA pA uA mA namp pamp uamp nS uS mS pS nsiemens
usiemens msiemens pF nF uF pfarad ufarad kohm Mohm Gohm Hz kHz MHz cm mm um nm cmetre
umetre mmetre mM uM nM cm2 mm2 um2 cm3 um3 metre2 meter2 mmolar
""".split()


def test_brian_names_exist():
    for name in BRIAN_NAMES:
        assert name in UNIT_NAMES, name
        assert get_unit(name) is getattr(units, name), name
        assert name in units.__all__


def test_prefixed_spellings_agree():
    assert get_unit("mvolt").identical(mV) and get_unit("msecond").identical(ms)
    assert get_unit("kgram").identical(get_unit("kilogram"))
    assert get_unit("mmol").identical(get_unit("mmole"))
    assert get_unit("cm2").identical(cm * cm) and get_unit("metre2").identical(metre**2)
    assert get_unit("um3").si() == approx(1e-18)
    assert get_unit("nope") is None
    assert "V" not in UNIT_NAMES and "s" not in UNIT_NAMES  # bare symbols would shadow user names
