"""Tests of the whitelisted expression grammar: parsing, refusals, numeric evaluation, round trip."""
from __future__ import annotations

import math
import statistics

import mpmath
import numpy as np
import pytest
import scipy.stats
import sympy
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from markovwire.errors import ExpressionError, MarkovwireError, ParameterError
from markovwire.expr import FUNCTIONS, compile_numeric, format_expression, parse_expression
from markovwire.params import Parameter

from strategies import bounded, hostile_expressions

beta, sigma, n = (sympy.Symbol(name, real=True) for name in ("beta", "sigma", "n"))
SYMS = {"beta": beta, "sigma": sigma, "n": n}
NAMES = list(SYMS)


def parse(text: str) -> sympy.Expr:
    """Parse over the test parameters beta, sigma, n."""
    return parse_expression(text, SYMS)


def refusal(text: str) -> str:
    """The message of the ExpressionError that ``text`` raises."""
    with pytest.raises(ExpressionError) as info:
        parse(text)
    return str(info.value)


# ----- valid expressions -----------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1 - beta*sigma", 1 - beta * sigma),
    ("beta", beta),
    ("  beta + 1  ", beta + 1),
    ("(beta)", beta),
    ("-beta", -beta),
    ("+beta", beta),
    ("beta - sigma - n", beta - sigma - n),
    ("beta / sigma / n", beta / sigma / n),
    ("beta / sigma * n", beta * n / sigma),
    ("beta**2", beta ** 2),
    ("-beta**2", -(beta ** 2)),
    ("beta**-1", 1 / beta),
    ("2**beta", 2 ** beta),
    ("beta**sigma", beta ** sigma),
    ("beta**(1/2)", sympy.sqrt(beta)),
    ("(beta**2)**3", beta ** 6),
    ("exp(beta)", sympy.exp(beta)),
    ("log(beta)", sympy.log(beta)),
    ("sqrt(beta)", sympy.sqrt(beta)),
    ("abs(beta)", sympy.Abs(beta)),
    ("min(beta, sigma)", sympy.Min(beta, sigma)),
    ("max(beta, sigma, n)", sympy.Max(beta, sigma, n)),
    ("floor(beta)", sympy.floor(beta)),
    ("ceil(beta)", sympy.ceiling(beta)),
    ("erf(beta)", sympy.erf(beta)),
    ("erfinv(beta)", sympy.erfinv(beta)),
    ("Phi(beta)", (1 + sympy.erf(beta / sympy.sqrt(2))) / 2),
    ("Phi_inv(beta)", sympy.sqrt(2) * sympy.erfinv(2 * beta - 1)),
    ("binomial(n, 2)", sympy.binomial(n, 2)),
    ("clip(beta, 0, 1)", sympy.Min(sympy.Max(beta, 0), 1)),
    ("pi", sympy.pi),
    ("e", sympy.E),
    ("e**beta", sympy.exp(beta)),
    ("2*pi*sigma", 2 * sympy.pi * sigma),
    ("10**13", sympy.Integer(10) ** 13),
    ("0x10", sympy.Integer(16)),
    ("(1 - beta)*(1 -\n sigma)", (1 - beta) * (1 - sigma)),
    ("beta*(1 - sigma) + (1 - beta)*n", beta * (1 - sigma) + (1 - beta) * n),
    ("Phi(0)", sympy.Rational(1, 2)),
    ("floor(exp(30))", sympy.Integer(10686474581524)),
])
def test_valid_expressions_match_hand_built_sympy(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("0.1", sympy.Rational(1, 10)),
    ("1 - 0.9", sympy.Rational(1, 10)),
    ("0.1 + 0.2", sympy.Rational(3, 10)),
    ("0.3 - 0.1 - 0.2", sympy.Integer(0)),
    ("1e-3", sympy.Rational(1, 1000)),
    ("2.5e2", sympy.Integer(250)),
    (".5", sympy.Rational(1, 2)),
    ("1_000.25", sympy.Rational(4001, 4)),
    ("0.1e-99", sympy.Rational(1, 10 ** 100)),
    ("0e-99999", sympy.Integer(0)),
    ("1000000000000", sympy.Integer(10 ** 12)),
    ("0.05*beta", sympy.Rational(1, 20) * beta),
])
def test_decimal_literals_are_exact_rationals(text, expected):
    value = parse(text)
    assert value == expected
    assert not value.atoms(sympy.Float)


def test_declared_names_shadow_constants_and_functions_do_not_clash():
    e_param = sympy.Symbol("e", real=True)
    exp_param = sympy.Symbol("exp", real=True)
    assert parse_expression("e + 1", {"e": e_param}) == e_param + 1
    assert parse_expression("exp(exp)", {"exp": exp_param}) == sympy.exp(exp_param)


def test_where_is_in_the_message():
    with pytest.raises(ExpressionError) as info:
        parse_expression("bta", SYMS, where="lib.yaml line 12, box 'monitor'")
    assert info.value.where == "lib.yaml line 12, box 'monitor'"
    assert str(info.value).startswith("lib.yaml line 12, box 'monitor': unknown name 'bta'")
    assert info.value.fix


# ----- refusals --------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("beta.__class__", "attribute access is not allowed (column 5)"),
    ("1 + x.__class__", "attribute access is not allowed (column 6)"),
    ("beta[0]", "subscripts (indexing) are not allowed (column 1)"),
    ("beta[0:1]", "subscripts (indexing) are not allowed"),
    ("lambda: 1", "lambda is not allowed (column 1)"),
    ("(lambda: 1)()", "lambda is not allowed (column 2)"),
    ("[x for x in beta]", "comprehensions are not allowed (column 1)"),
    ("sum(x for x in beta)", "comprehensions are not allowed (column 4)"),
    ("{1: 2}", "dictionaries are not allowed"),
    ("[1, 2]", "lists are not allowed"),
    ("beta, sigma", "tuples (a comma outside a call) are not allowed"),
    ("beta < 1", "comparisons are not allowed"),
    ("beta and sigma", "'and'/'or' are not allowed"),
    ("beta if sigma else n", "conditional expressions (x if c else y) are not allowed"),
    ("(x := 1)", "assignment expressions (:=) are not allowed (column 2)"),
    ("f'{beta}'", "f-strings are not allowed"),
    ("'text'", "text (string) literals are not allowed (column 1)"),
    ("b'x'", "text (string) literals are not allowed"),
    ("True", "True is not a number"),
    ("None", "None is not a number"),
    ("...", "Ellipsis is not a number"),
    ("1j", "complex numbers are not allowed"),
    ("beta // 2", "operator '//' is not allowed (column 6)"),
    ("beta % 2", "operator '%' is not allowed (column 6)"),
    ("beta @ sigma", "operator '@' is not allowed"),
    ("beta ^ 2", "operator '^' is not allowed"),
    ("beta << 2", "operator '<<' is not allowed"),
    ("~beta", "operator '~' is not allowed"),
    ("not beta", "operator 'not' is not allowed"),
    ("exp(x=1)", "keyword arguments are not allowed in a call to 'exp' (column 5)"),
    ("exp(**{'x': 1})", "not allowed"),
    ("exp(*[1])", "not allowed"),
    ("bta", "unknown name 'bta' (did you mean 'beta'?) (column 1)"),
    ("1 + sigam", "unknown name 'sigam' (did you mean 'sigma'?) (column 5)"),
    ("zzz", "unknown name 'zzz' (column 1)"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("exp", "'exp' is a function (column 1)"),
    ("qux(1)", "function 'qux' is not available; available: exp, log, sqrt, abs, min, max"),
    ("foo(1)", "function 'foo' is not available (did you mean 'floor'?)"),
    ("sqr(beta)", "function 'sqr' is not available (did you mean 'sqrt'?)"),
    ("beta(1)", "function 'beta' is not available ('beta' is a parameter, not a function)"),
    ("eval('1')", "function 'eval' is not available"),
    ("exp(1)(2)", "only functions called by their plain name are allowed"),
    ("exp()", "function 'exp' takes 1 argument, got 0 (column 1)"),
    ("log(beta, 2)", "function 'log' takes 1 argument, got 2"),
    ("max(beta)", "function 'max' takes at least 2 arguments, got 1"),
    ("clip(beta, 0)", "function 'clip' takes 3 arguments, got 2"),
    ("binomial(n)", "function 'binomial' takes 2 arguments, got 1"),
    ("10000000000001", "number 10000000000001 is too large (at most 1e12 in absolute value) (column 1)"),
    ("1e13", "number 1e13 is too large"),
    ("1e999", "number 1e999 is too large"),
    ("1" * 1000, "is too large (at most 1e12"),
    ("1e-500", "has more than 100 decimal places"),
    ("beta**1001", "a constant exponent must be a number between -1000 and 1000, not 1001 (column 5)"),
    ("beta**pi", "a constant exponent must be a number"),
    ("beta**sqrt(2)", "a constant exponent must be a number"),
    ("2**2**2**2**2**30", "chained powers (a**b**c) are not allowed (column 5)"),
    ("beta**sigma**n", "chained powers (a**b**c) are not allowed (column 12)"),
    ("beta**(sigma**n)", "chained powers (a**b**c) are not allowed"),
    ("beta**-sigma**2", "chained powers (a**b**c) are not allowed"),
    ("beta**exp(sigma**2)", "chained powers (a**b**c) are not allowed"),
    ("(beta**2)**sigma", "a power with a parameter in its exponent cannot have a power as its base (column 10)"),
    ("(10**12)**1000", "the power is too large to compute exactly"),
    ("(2**1000)**1000", "the power is too large to compute exactly"),
    ("1/0", "division by zero (column 3)"),
    ("beta/(sigma - sigma)", "division by zero (column 7)"),
    ("0**-1", "division by zero"),
    ("log(0)", "the value is infinite or undefined"),
    ("Phi_inv(0)", "the value is infinite or undefined"),
    ("sqrt(-2)", "the value is complex"),
    ("beta + log(-2)", "the value is complex"),
    ("(-8)**(1/3)", "the value is complex"),
    ("floor(exp(exp(1000)))", "constant argument of 'floor' is too large (at most 1e15) (column 7)"),
    ("ceil(10**20*pi)", "constant argument of 'ceil' is too large"),
    ("binomial(10**12, 5*10**11)", "constant argument of 'binomial' is too large (at most 10000)"),
    ("", "is empty"),
    ("   ", "is empty"),
    ("1 +", "syntax error"),
    ("  1 + (", "syntax error: '(' was never closed (column 7)"),
    ("beta sigma", "syntax error: invalid syntax"),
    ("1 +\n(beta", "syntax error"),
    ("beta\n+ 1", "syntax error: invalid syntax (line 2, column 1)"),
    ("1 \u2212 beta", "character '\u2212' (U+2212) is not allowed (column 3)"),
    ("2\u03c0", "character '\u03c0' (U+03C0) is not allowed (column 2)"),
    ("beta\x00", "character '\\x00' (U+0000) is not allowed (column 5)"),
    ("\uff42eta", "character"),                                    # fullwidth b, NFKC-folded by Python
])
def test_refusals_name_the_construct_and_column(text, message):
    assert message in refusal(text)


def test_columns_count_from_the_original_text():
    assert "(column 15)" in refusal("  beta + sigma.real")
    assert "(line 2, column 3)" in refusal("\n  bta")
    assert "(line 2, column 7)" in refusal("(beta +\n sigma.x)")


def test_refusal_fixes_are_given():
    with pytest.raises(ExpressionError) as info:
        parse("foo(1)")
    assert info.value.fix == "use one of the available functions"
    assert isinstance(info.value, MarkovwireError)


def test_non_text_is_refused():
    with pytest.raises(ExpressionError, match="expected an expression as text, got int"):
        parse_expression(3, SYMS)                                   # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    # from ECOSYSTEM.md "Security facts"
    "sqrt.__globals__['__builtins__']['__import__']('os').system('touch /tmp/mw_pwned')",
    "x.__class__.__mro__",
    "beta.__class__.__mro__[-1].__subclasses__()",
    "2**2**2**2**2**30",
    # further classic escapes
    "__import__('os').system('touch /tmp/mw_pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "exec('import os')",
    "eval('1')",
    "getattr(beta, '__class__')",
    "open('/etc/passwd')",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "(lambda: __import__('os'))()",
    "Symbol('x')",
    "sympify('1')",
    "exp.__globals__",
    "beta.func",
    "exp(beta).func(1)",
    "lambdify",
])
def test_exploit_strings_are_refused(text, tmp_path):
    with pytest.raises(ExpressionError):
        parse(text)


def test_power_tower_is_refused_before_it_is_computed():
    for text in ("2**2**2**2**2**30", "9**9**9**9", "(9**9)**(9**9)", "2**(2**(2**(2**30)))"):
        with pytest.raises(ExpressionError):
            parse(text)


def test_huge_inputs_are_refused_by_their_size_or_depth():
    cases = {
        "x" * 10_000: "is 10000 characters long (at most 2000)",
        "(" * 1000 + "1" + ")" * 1000: "characters long",
        "(" * 999 + ")" * 999: "brackets are nested more than 50 deep",
        "(" * 700 + "1" + ")" * 700: "brackets are nested more than 50 deep",
        "exp(" * 300 + "1" + ")" * 300: "brackets are nested more than 50 deep",
        "-" * 60 + "beta": "is nested more than 50 levels deep",
        "-" * 1999 + "1": "is too large (more than 500",
        "+".join(["beta"] * 399): "is too large (more than 500",
    }
    for text, message in cases.items():
        assert message in refusal(text)


def test_deep_nesting_gives_expression_error_not_recursion_error():
    for depth in (51, 100, 1000):
        text = "(" * depth + "beta" + ")" * depth
        with pytest.raises(ExpressionError):
            parse(text)
    with pytest.raises(ExpressionError):
        parse("sqrt(" * 60 + "beta" + ")" * 60)


def test_long_sums_and_products_are_not_deep():
    total = parse(" + ".join(f"{i}*beta" for i in range(1, 120)))
    assert total == sum(range(1, 120)) * beta
    product = parse("*".join(["beta"] * 200))
    assert product == beta ** 200
    assert parse("1" + "-beta" * 150) == 1 - 150 * beta


# ----- fuzzing: everything parses or raises ExpressionError -------------------

def parses_or_refuses(text: str):
    """Parse ``text``; the only failure allowed is ExpressionError."""
    try:
        result = parse(text)
    except ExpressionError:
        return None
    assert isinstance(result, sympy.Expr)
    return result


@settings(max_examples=300, deadline=500)
@given(st.text(max_size=200))
def test_fuzz_random_text(text):
    parses_or_refuses(text)


TOKENS = (["beta", "sigma", "n", "pi", "e", "x", "__class__", "0", "1", "2", "0.5", "1e12", "1e13",
           "30", "1000", "1001", "-1", "10**12", ".5", "1e-300"]
          + list(FUNCTIONS) + ["foo", "lambda", "for", "in", "if", "else", "not", "and"]
          + ["+", "-", "*", "/", "**", "//", "%", "(", ")", "(", ")", ",", ".", "[", "]", ":", "=",
             " ", "'", "\n", "0**", "**-", "e**", "2**"])


@settings(max_examples=500, deadline=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_fuzz_token_soup(tokens):
    parses_or_refuses("".join(tokens))


@settings(max_examples=200, deadline=500)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_fuzz_token_soup_spaced(tokens):
    parses_or_refuses(" ".join(tokens))


# ----- expression trees from the grammar -------------------------------------

LEAVES = st.one_of(
    st.sampled_from(NAMES),
    st.integers(0, 12).map(str),
    st.sampled_from(["0.1", "0.25", "1.5", "0.05", "pi", "e", "3", "2"]),
)
UNARY = ["exp", "log", "sqrt", "abs", "floor", "ceil", "erf", "erfinv", "Phi", "Phi_inv"]


def _grow(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, st.integers(-3, 4)).map(lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(st.sampled_from(NAMES + ["2", "0.5"]), children).map(lambda t: f"{t[0]}**({t[1]})"),
        children.map(lambda c: f"-({c})"),
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=2, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(children, children, children).map(lambda t: f"clip({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(children, st.integers(0, 4)).map(lambda t: f"binomial({t[0]}, {t[1]})"),
    )


TREES = st.recursive(LEAVES, _grow, max_leaves=10)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(TREES)
def test_format_round_trips(text):
    expr = parses_or_refuses(text)
    assume(expr is not None)
    written = format_expression(expr)
    assert parse(written) == expr, written


@pytest.mark.parametrize("text", [
    "1 - beta*sigma", "0.1", "-0.1", "1/3", "-2/3*beta", "beta/(3*sigma)", "beta**(1/3)", "beta**(-3/2)",
    "sqrt(beta)", "1/sqrt(beta)", "2**beta", "beta**sigma", "(1/2)**beta", "(-2)**beta", "e", "exp(1)*beta",
    "pi", "Phi(beta)", "Phi_inv(beta)", "1 - Phi(beta)", "clip(beta, 0, 1)", "binomial(n, 3)*beta**3",
    "10**13", "-(10**13)", "10**13/7", "3*10**24 + 1", "10**100", "beta*10**30", "beta**(sigma/2)",
    "beta**exp(2*log(sigma))", "exp(log(beta)*sqrt(2))", "exp(log(beta)*exp(log(2)/3))",
    "(beta**500)**3", "(sqrt(beta)**999)**3", "sqrt(beta**sigma)", "exp(beta)**sigma", "abs(beta - sigma)",
    "floor(beta) + ceil(sigma)", "erf(beta)", "erfinv(beta)", "beta**1000*sigma**-1000",
    "sigma**exp(log(beta)/3)", "beta**(exp(-sigma))", "min(beta, sigma, n) - max(beta, 0.5)",
    "0.5**beta", "beta - (sigma - n)", "beta/(sigma/n)", "-(beta + sigma)**2", "(-beta)**sigma",
])
def test_format_round_trips_examples(text):
    expr = parse(text)
    written = format_expression(expr)
    assert parse(written) == expr, written


def test_format_of_decimals_is_readable():
    assert format_expression(parse("0.05")) == "0.05"
    assert format_expression(parse("1 - 0.9")) == "0.1"
    assert format_expression(parse("0.3*beta")) == "0.3*beta"
    assert format_expression(parse("1 - beta")) in ("1 - beta", "-beta + 1")
    assert format_expression(sympy.E) == "exp(1)"


def test_format_refuses_what_the_grammar_cannot_say():
    for bad in (sympy.sin(beta), sympy.I * beta, sympy.oo, sympy.Function("f")(beta)):
        with pytest.raises(ExpressionError):
            format_expression(bad)


def test_format_accepts_plain_numbers_and_floats():
    assert format_expression(3) == "3"
    assert parse(format_expression(0.25)) == sympy.Rational(1, 4)
    assert parse(format_expression(sympy.Float(0.1) * beta)) == sympy.Rational(1, 10) * beta


# ----- numeric evaluation ----------------------------------------------------

NUMERIC_UNARY = ["exp", "sqrt", "abs", "erf", "Phi"]


def _grow_numeric(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, children).map(lambda t: f"({t[0]}) / (2 + ({t[1]})**2)"),
        st.tuples(children, st.integers(0, 3)).map(lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(st.sampled_from(["beta", "sigma", "2"]), children).map(lambda t: f"{t[0]}**({t[1]})"),
        st.tuples(st.sampled_from(NUMERIC_UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda c: f"log(1 + ({c})**2)"),
        children.map(lambda c: f"Phi_inv(Phi({c})/2 + 0.25)"),    # a well-conditioned argument
        children.map(lambda c: f"erfinv(erf({c})/2)"),
        st.tuples(st.sampled_from(["min", "max"]), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(children, children).map(lambda t: f"clip({t[0]}, {t[1]}, 1)"),
    )


NUMERIC_TREES = st.recursive(st.sampled_from(["beta", "sigma", "n", "0.3", "2", "pi", "e"]),
                             _grow_numeric, max_leaves=8)
POINTS = st.floats(0.05, 0.95)


@settings(max_examples=60, deadline=None)
@given(NUMERIC_TREES, st.lists(st.tuples(POINTS, POINTS, POINTS), min_size=1, max_size=4))
def test_compile_numeric_agrees_with_sympy_evalf(text, points):
    expr = parses_or_refuses(text)
    assume(expr is not None)
    fn = compile_numeric([expr], [beta, sigma, n])
    arrays = [np.array([p[i] for p in points]) for i in range(3)]
    (got,) = fn(*arrays)
    assert got.shape == (len(points),)
    for k, (b, s, m) in enumerate(points):
        exact = expr.subs({beta: sympy.Float(b), sigma: sympy.Float(s), n: sympy.Float(m)}).evalf(30)
        if not exact.is_real or not exact.is_finite:
            continue
        want = float(exact)
        if not math.isfinite(want) or abs(want) > 1e100:
            continue
        assert got[k] == pytest.approx(want, rel=1e-8, abs=1e-12), (text, b, s, m)


def test_compile_numeric_functions_against_sympy_at_points():
    texts = ["floor(beta*10)", "ceil(beta*10)", "abs(beta - 0.5)", "binomial(n, 3)", "binomial(10, n)",
             "min(beta, sigma, 0.4)", "max(beta, 0.4)", "clip(beta*2, 0.1, 0.9)", "log(beta)",
             "erf(beta)", "erfinv(beta)", "beta**sigma", "2**beta", "exp(-beta**2)"]
    exprs = [parse(t) for t in texts]
    fn = compile_numeric(exprs, [beta, sigma, n])
    points = [(0.13, 0.77, 7.0), (0.61, 0.2, 12.0), (0.999, 0.001, 3.0), (-0.5, 0.5, 5.0)]
    got = fn(*(np.array([p[i] for p in points]) for i in range(3)))
    for j, expr in enumerate(exprs):
        for k, (b, s, m) in enumerate(points):
            exact = expr.subs({beta: sympy.Rational(str(b)), sigma: sympy.Rational(str(s)),
                               n: sympy.Integer(int(m))}).evalf(30)
            if not exact.is_real:
                assert math.isnan(got[j][k]), texts[j]
                continue
            assert got[j][k] == pytest.approx(float(exact), rel=1e-10, abs=1e-14), (texts[j], b, s, m)


def test_phi_matches_the_normal_cdf_including_tails():
    fn = compile_numeric([parse("Phi(beta)"), parse("1 - Phi(beta)")], [beta])
    xs = np.array([-37.0, -20.0, -8.0, -1.5, 0.0, 0.3, 2.0, 8.0, 20.0])
    cdf, sf = fn(xs)
    for x, c, s in zip(xs, cdf, sf):
        assert c == pytest.approx(0.5 * math.erfc(-x / math.sqrt(2)), rel=1e-13, abs=1e-300)
        assert s == pytest.approx(0.5 * math.erfc(x / math.sqrt(2)), rel=1e-13, abs=1e-300)
        assert c == pytest.approx(statistics.NormalDist().cdf(x), rel=1e-9, abs=1e-15)


def test_phi_inv_matches_the_normal_quantile():
    fn = compile_numeric([parse("Phi_inv(beta)")], [beta])
    ps = np.array([1e-300, 1e-20, 1e-5, 0.025, 0.3, 0.5, 0.975, 0.9999, 1 - 1e-15])
    (got,) = fn(ps)
    for p, q in zip(ps, got):
        assert q == pytest.approx(statistics.NormalDist().inv_cdf(float(p)), rel=1e-12)
    ends = fn(np.array([0.0, 1.0, -0.1, 1.1]))[0]
    assert ends[0] == -math.inf and ends[1] == math.inf and np.isnan(ends[2:]).all()


def test_phi_inv_inverts_phi():
    fn = compile_numeric([parse("Phi_inv(Phi(beta))")], [beta])
    xs = np.linspace(-6, 6, 49)
    assert np.allclose(fn(xs)[0], xs, rtol=1e-9, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(-0.999999, 0.999999))
def test_erfinv_matches_mpmath(y):
    (got,) = compile_numeric([parse("erfinv(beta)")], [beta])(y)
    want = float(mpmath.erfinv(mpmath.mpf(y)))
    assert float(got) == pytest.approx(want, rel=1e-9, abs=1e-15)


def test_constants_broadcast_to_the_input_shape():
    fn = compile_numeric([sympy.Rational(3, 10), parse("1 - beta"), parse("pi"), sympy.Integer(0)], [beta, sigma])
    out = fn(np.linspace(0, 1, 6).reshape(2, 3), 0.5)
    assert [a.shape for a in out] == [(2, 3)] * 4
    assert np.all(out[0] == 0.3) and np.all(out[2] == math.pi) and np.all(out[3] == 0.0)
    out[0][0, 0] = 1.0                                   # results are writable, independent arrays
    assert out[0][1, 1] == 0.3
    grid = fn(np.zeros((3, 1)), np.zeros((1, 4)))
    assert all(a.shape == (3, 4) for a in grid)
    scalars = fn(0.2, 0.1)
    assert [a.shape for a in scalars] == [()] * 4
    assert float(scalars[1]) == pytest.approx(0.8)


def test_compile_numeric_without_symbols_and_with_plain_numbers():
    fn = compile_numeric([0.25, 3, sympy.Rational(1, 3)], [])
    values = fn()
    assert [float(v) for v in values] == [0.25, 3.0, pytest.approx(1 / 3)]
    assert all(isinstance(v, np.ndarray) for v in values)


def test_compile_numeric_huge_exact_numbers_become_floats():
    fn = compile_numeric([parse("beta*10**30"), parse("beta/3**300"), parse("(2**1000)*10**50*beta")], [beta])
    a, b, c = fn(np.array([1.0, 2.0]))
    assert a.tolist() == [1e30, 2e30]
    assert b[0] == pytest.approx(3.0 ** -300)
    assert np.isinf(c).all() or np.all(c > 1e300)


def test_compile_numeric_with_awkward_parameter_names():
    names = ["exp", "numpy", "e", "pi", "lambda", "x", "reduce", "sqrt"]
    params = [Parameter(name) for name in names]
    syms = [p.symbol for p in params]
    expr = parse_expression("exp(exp) + numpy*sqrt(sqrt) - e*pi + reduce", {s.name: s for s in syms})
    fn = compile_numeric([expr], syms)
    values = [0.5, 2.0, 3.0, 4.0, 1.0, 1.0, 1.0, 9.0]
    want = math.exp(0.5) + 2.0 * 3.0 - 3.0 * 4.0 + 1.0
    assert float(fn(*values)[0]) == pytest.approx(want)


def test_compile_numeric_refuses_code_in_symbol_names(tmp_path):
    marker = tmp_path / "pwned"
    evil = sympy.Symbol(f"__import__('os').system('touch {marker}')")
    with pytest.raises(ParameterError):
        compile_numeric([evil + 1], [evil])
    assert not marker.exists()


def test_compile_numeric_refuses_unlisted_symbols_and_bad_arguments():
    with pytest.raises(ParameterError, match="'sigma'"):
        compile_numeric([beta + sigma], [beta])
    with pytest.raises(ExpressionError):
        compile_numeric(["1 + beta"], [beta])                        # text is never parsed here
    fn = compile_numeric([beta + sigma], [beta, sigma])
    with pytest.raises(ParameterError, match="expected 2 value"):
        fn(1.0)
    with pytest.raises(ParameterError, match="do not broadcast"):
        fn(np.zeros(3), np.zeros(4))


def test_compile_numeric_of_many_entries_evaluates_each():
    exprs = [parse(f"(1 - beta)*sigma*{k}/1000 + Phi(n)*beta") for k in range(200)]
    fn = compile_numeric(exprs, [beta, sigma, n])
    xs = np.linspace(0, 1, 1000)
    out = fn(xs, xs, xs)
    phi = scipy.stats.norm.cdf(xs)
    assert len(out) == 200
    for k in (0, 5, 199):
        np.testing.assert_allclose(out[k], (1 - xs) * xs * k / 1000 + phi * xs, rtol=1e-12, atol=1e-15)


def test_a_large_valid_input_parses():
    text = " + ".join(f"{k % 7 + 1}*beta*sigma/(1 + n)" for k in range(45))
    assert len(text) < 2000
    at = {beta: 0.3, sigma: 0.5, n: 2.0}
    assert float(parse(text).subs(at)) == pytest.approx(sum((k % 7 + 1) * 0.3 * 0.5 / 3 for k in range(45)))


# ----- constants as finite reals, and why a value is not one (issue 11) --------------------------------------

@pytest.mark.parametrize("text, message", [
    ("erfinv(2)", "c: erfinv(2) is not a real number (erfinv is defined on (-1, 1))"),
    ("exp(exp(exp(100)))", "c: exp(exp(exp(100))) is infinite: exp(exp(100)) overflows (it exceeds about 1.8e308, "
                           "the largest float)"),
    ("Phi_inv(1.5)", "c: sqrt(2)*erfinv(2) is not a real number: erfinv is defined on (-1, 1)"),
    ("log(exp(-800))", None),
    ("exp(800) / (exp(800) + 1)", "c: exp(800)/(1 + exp(800)) is not a real number: exp(800) overflows (it exceeds "
                                  "about 1.8e308, the largest float)"),
])
def test_constant_values_are_finite_reals_or_say_why_not(text, message):
    from markovwire.expr import constant_value
    e = parse_expression(text, {})
    if message is None:
        assert constant_value(e, "c") == -800
        return
    with pytest.raises(ExpressionError) as info:
        constant_value(e, "c")
    assert str(info.value).split("\n")[0] == message
    assert info.value.fix == "give a constant whose every function is defined and finite"


def test_constant_values_agree_with_mpmath_and_name_the_failing_position():
    from markovwire.expr import constant_values
    texts = ["71/18000", "sqrt(2)/2", "Phi(1.5)", "erfinv(0.3)", "binomial(10, 3)/1000", "10**300/10**299"]
    got = constant_values([parse_expression(t, {}) for t in texts])
    mp = [mpmath.mpf(71) / 18000, mpmath.sqrt(2) / 2, mpmath.ncdf(1.5), mpmath.erfinv(0.3), mpmath.mpf(120) / 1000, 10]
    assert got == pytest.approx([float(x) for x in mp], rel=1e-14)
    with pytest.raises(ExpressionError) as info:
        constant_values([sympy.Integer(1), sympy.erfinv(3)], lambda i: f"entry {i}")
    assert info.value.where == "entry 1"
    with pytest.raises(ExpressionError, match="uses the parameter 'beta'; a constant is needed here"):
        constant_values([beta], "x")


def test_explain_nonfinite_finds_the_innermost_culprit_at_a_point():
    from markovwire.expr import explain_nonfinite
    assert explain_nonfinite(parse("beta/(beta + beta**2)"), [beta], [0.0]) == \
        "beta/(beta**2 + beta) is undefined (0/0 or similar): it divides by beta**2 + beta, which is 0"
    assert explain_nonfinite(parse("log(beta - 1)"), [beta], [0.5]) == \
        "log(beta - 1) is undefined (0/0 or similar) (log is defined for positive numbers; its argument beta - 1 " \
        "is -0.5)"
    assert explain_nonfinite(parse("1/(beta - sigma)"), [beta, sigma], [0.5, 0.5]) == \
        "1/(beta - sigma) is infinite (it divides by beta - sigma, which is 0)"


def test_a_coefficient_beyond_floats_is_folded_into_the_power_of_a_sum():
    e = parse("(beta + sigma + beta*sigma + 2*sigma)**1000 / 10**1000")
    fn = compile_numeric([e, 1 - e], [beta, sigma])
    x = np.array([0.0, 0.5, 1.0])
    top, rest = fn(x, x)
    exact = [float(mpmath.mpf(b + s + b * s + 2 * s) ** 1000 / mpmath.mpf(10) ** 1000) for b, s in zip(x, x)]
    assert top.tolist() == pytest.approx(exact, rel=1e-12, abs=0) and np.all(np.isfinite(rest))
    assert compile_numeric([-e], [beta, sigma])(1.0, 1.0)[0] == pytest.approx(-(0.5 ** 1000), rel=1e-12)


# ----- property: hostile expressions either evaluate to a finite number or raise a markovwire error --------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_expressions())
def test_hostile_constants_evaluate_to_a_finite_number_or_raise_a_markovwire_error(text):
    from markovwire.expr import constant_value

    def run():
        try:
            value = constant_value(parse_expression(text, {}), "c")
        except MarkovwireError:
            return
        assert isinstance(value, float) and math.isfinite(value)
    bounded(run)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_expressions(("beta",)))
def test_hostile_entries_give_probabilities_or_a_markovwire_error(text):
    from markovwire import FinSet, Kernel, Net
    V = FinSet("V", ["a", "b"])
    b = Parameter("beta", (0, 1), default=0.5)

    def run():
        try:
            e = parse_expression(text, {"beta": b.symbol})
            net = Net()
            net.add_box("k", Kernel([e, 1 - e], [], [V], params=[b]), [], ["v"])
            net.set_outputs("v")
            out = np.asarray(net.evaluate({"beta": np.array([0.0, 0.3, 1.0])}))
        except MarkovwireError:
            return
        assert np.all(np.isfinite(out)) and np.all(out >= -1e-9) and np.allclose(out.sum(axis=-1), 1)
    bounded(run)
