"""IR expressions as C++ source, for the native fused population update.

`CExpression(resolve, uniform, hoist)` turns an expression into one C++ expression of type `real`
(or `bool`), asking `resolve(name)` for the C++ text of each name.  `PRELUDE` holds the math the
generated loops use: `exp`, `expm1` and `exprel` written as polynomials with plain arithmetic, so
that the compiler can vectorise the loop over neurons (libm's versions are opaque calls), accurate
to a few ulp.
"""
from __future__ import annotations

from typing import Callable

from ...ir import (FUNCTIONS, OPERATORS, Binary, Call, Const, Expr, Ref, Unary, Where, names,
                   uses_random)


class CodegenError(Exception):
    """The expression uses something the C++ generator does not support."""


PRELUDE = r"""
#include <cstdint>

namespace {

// libm through the compiler's builtins, for float and double: <cmath> and <cstring> alone take
// half the time a generated block needs to compile, and a new model waits for that compile.
#define NF_LIBM(name, builtin)                                   \
  inline float name(float x) { return builtin##f(x); }          \
  inline double name(double x) { return builtin(x); }
NF_LIBM(nf_log, __builtin_log) NF_LIBM(nf_log10, __builtin_log10) NF_LIBM(nf_sin, __builtin_sin)
NF_LIBM(nf_cos, __builtin_cos) NF_LIBM(nf_tan, __builtin_tan) NF_LIBM(nf_tanh, __builtin_tanh)
NF_LIBM(nf_sinh, __builtin_sinh) NF_LIBM(nf_cosh, __builtin_cosh) NF_LIBM(nf_sqrt, __builtin_sqrt)
NF_LIBM(nf_fabs, __builtin_fabs) NF_LIBM(nf_floor, __builtin_floor) NF_LIBM(nf_ceil, __builtin_ceil)
NF_LIBM(nf_trunc, __builtin_trunc) NF_LIBM(nf_nearbyint, __builtin_nearbyint)
NF_LIBM(nf_atan, __builtin_atan) NF_LIBM(nf_erf, __builtin_erf)
#undef NF_LIBM
inline float nf_pow(float x, float y) { return __builtin_powf(x, y); }
inline double nf_pow(double x, double y) { return __builtin_pow(x, y); }

// 2^k for an integral k in the normal range, built from its exponent bits.
inline double pow2i(double k) {
  const int64_t bits = (static_cast<int64_t>(k) + 1023) << 52;
  double r; __builtin_memcpy(&r, &bits, sizeof r); return r;
}
inline float pow2i(float k) {
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float r; __builtin_memcpy(&r, &bits, sizeof r); return r;
}

// exp(r) - 1 and exp(r) for |r| <= ln(2)/2, by Taylor polynomials in Horner form.
inline double expm1_small(double r) {
  double p = 1.0 / 6227020800.0; p = p * r + 1.0 / 479001600.0; p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0; p = p * r + 1.0 / 362880.0; p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0; p = p * r + 1.0 / 720.0; p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0; p = p * r + 1.0 / 6.0; p = p * r + 0.5; p = p * r + 1.0;
  return p * r;
}
inline float expm1_small(float r) {
  float p = 1.0f / 40320.0f;
  p = p * r + 1.0f / 5040.0f; p = p * r + 1.0f / 720.0f; p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f; p = p * r + 1.0f / 6.0f; p = p * r + 0.5f; p = p * r + 1.0f;
  return p * r;
}
template <typename R> struct Limits;
template <> struct Limits<double> {
  // below `low` exp rounds to 0, above `high` it overflows: clamping there keeps 2^k finite
  static constexpr double low = -746.0, high = 710.0;
  static constexpr double ln2_high = 0.693145751953125, ln2_low = 1.42860682030941723212e-6;
};
template <> struct Limits<float> {
  static constexpr float low = -104.0f, high = 89.0f;
  static constexpr float ln2_high = 0.693359375f, ln2_low = -2.12194440e-4f;
};

// exp(x) = 2^k exp(r) with k = round(x / ln 2) and r = x - k ln 2 (ln 2 in two parts, so that
// k ln2_high is exact).  2^k is applied as two normal factors: underflow to subnormals or 0 and
// overflow to inf then come from the multiplications, and NaN passes through, with no branch
// (branches here keep GCC from vectorising loops that also store truth values).
template <typename R> struct Reduced {
  R r, k, half;
};
template <typename R> inline Reduced<R> reduce(R x) {
  R c = x < Limits<R>::low ? Limits<R>::low : x;
  c = c > Limits<R>::high ? Limits<R>::high : c;
  const R k = nf_nearbyint(c * R(1.4426950408889634));
  const R r = (c - k * Limits<R>::ln2_high) - k * Limits<R>::ln2_low;
  return {r, k, nf_trunc(k * R(0.5))};
}
template <typename R> inline R nf_exp(R x) {
  const Reduced<R> a = reduce(x);
  return (expm1_small(a.r) + R(1)) * pow2i(a.half) * pow2i(a.k - a.half);
}
// exp(x) - 1 = 2^k expm1(r) + (2^k - 1): exact for k = 0 (|x| <= ln(2)/2), where it matters.
template <typename R> inline R nf_expm1(R x) {
  const Reduced<R> a = reduce(x);
  const R scale = pow2i(a.half) * pow2i(a.k - a.half);
  return expm1_small(a.r) * scale + (scale - R(1));
}
// The quotient is computed for every x and then chosen: as a branch of the select, GCC divides
// under a mask, which made COBA's whole update 20% slower (same values either way).
template <typename R> inline R nf_exprel(R x) {
  const R quotient = nf_expm1(x) / x;
  return x == R(0) ? R(1) : quotient;
}
template <typename R> inline R nf_sigmoid(R x) { return R(1) / (R(1) + nf_exp(-x)); }
// NaN in either argument gives NaN, as jnp.minimum/maximum do.
template <typename R> inline R nf_min(R a, R b) { return a != a ? a : (a < b ? a : b); }
template <typename R> inline R nf_max(R a, R b) { return a != a ? a : (a > b ? a : b); }
template <typename R> inline R nf_clip(R x, R lo, R hi) { return nf_min(nf_max(x, lo), hi); }
template <typename R> inline R nf_sign(R x) { return x > 0 ? R(1) : (x < 0 ? R(-1) : x); }

}  // namespace
"""

def literal(value: float) -> str:
    return f"real({float(value)!r})"


class CExpression:
    """C++ text of IR expressions; `resolve(name)` gives the text of a name (raising
    `CodegenError` for names it cannot provide).  With `uniform` (whether a name has one
    value for all neurons) and `hoist` (which emits a computation before the loop and returns
    the name of its result), what does not vary over neurons is computed once per call: the
    compiler might hoist it too, but its conditional selects on loop-invariant values keep
    GCC from vectorising the loop; and a division by such a value becomes a multiplication
    by its reciprocal (one rounding more, at most an ulp)."""

    def __init__(self, resolve: Callable[[str], str], uniform: Callable[[str], bool],
                 hoist: Callable[[str], str]):
        self.resolve, self.uniform, self.hoist = resolve, uniform, hoist

    def __call__(self, e: Expr) -> str:
        text = self._text(e)
        if not isinstance(e, (Const, Ref)) and self._is_uniform(e):
            return self.hoist(text)
        return text

    def _is_uniform(self, e: Expr) -> bool:
        return not uses_random(e) and all(self.uniform(n) for n in names(e))

    def _text(self, e: Expr) -> str:
        if isinstance(e, Const):
            return literal(e.value)
        if isinstance(e, Ref):
            return self.resolve(e.name)
        if isinstance(e, Unary):
            return f"({OPERATORS[e.op, 1].cpp}{self(e.operand)})"
        if isinstance(e, Binary):
            return self._binary(e)
        if isinstance(e, Where):
            return f"({self(e.cond)} ? real({self(e.then)}) : real({self(e.other)}))"
        if isinstance(e, Call):
            return self._call(e)
        raise CodegenError(f"no C++ for expression node {type(e).__name__}")

    def _binary(self, e: Binary) -> str:
        if e.op == "**":
            if (isinstance(e.right, Const) and float(e.right.value).is_integer()
                and abs(e.right.value) <= 4):
                n = int(e.right.value)
                if n == 0:
                    return "real(1)"
                base = self(e.left)
                product = "(" + " * ".join([base] * abs(n)) + ")"
                return product if n > 0 else f"(real(1) / {product})"
            return f"{OPERATORS['**', 2].cpp}(real({self(e.left)}), real({self(e.right)}))"
        if e.op == "/" and self._is_uniform(e.right) and not self._is_uniform(e.left):
            # a division per neuron by what is one number per step (`(El - v) / taum`) becomes a
            # multiplication by its reciprocal, computed once: divisions are the slowest vector op
            return f"({self(e.left)} * {self.hoist(f'(real(1) / {self(e.right)})')})"
        return f"({self(e.left)} {OPERATORS[e.op, 2].cpp} {self(e.right)})"

    def _call(self, e: Call) -> str:
        fn = FUNCTIONS.get(e.func)
        if fn is not None and fn.is_random:
            raise CodegenError("random numbers are not generated in native code")
        if fn is None or fn.cpp is None:
            raise CodegenError(f"'{e.func}(...)' (a read of the past, or a function without C++)"
                               " has no C++ form")
        if len(e.args) != fn.arity:
            raise CodegenError(f"{e.func} takes {fn.arity} arguments, got {len(e.args)}")
        return fn.cpp.format(*(f"real({self(a)})" for a in e.args))
