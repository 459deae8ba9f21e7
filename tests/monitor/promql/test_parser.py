"""Parser: precedence, modifiers, type checks and error positions."""

from __future__ import annotations

import math

import pytest

from monitor.promql import ParseError, ast, parse_expr


def _shape(e: ast.Expr) -> str:
    """Compact s-expression of a tree, for precedence assertions."""
    if isinstance(e, ast.NumberLiteral):
        return repr(e.value)
    if isinstance(e, ast.VectorSelector):
        return e.name or "{}"
    if isinstance(e, ast.BinaryExpr):
        return f"({e.op} {_shape(e.lhs)} {_shape(e.rhs)})"
    if isinstance(e, ast.UnaryExpr):
        return f"(neg {_shape(e.expr)})"
    if isinstance(e, ast.ParenExpr):
        return _shape(e.expr)
    return type(e).__name__


@pytest.mark.parametrize(
    ("query", "shape"),
    [
        ("a + b * c", "(+ a (* b c))"),
        ("a * b + c", "(+ (* a b) c)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a ^ b ^ c", "(^ a (^ b c))"),
        ("-a ^ b", "(neg (^ a b))"),
        ("-a * b", "(* (neg a) b)"),
        ("a or b and c", "(or a (and b c))"),
        ("a and b unless c", "(unless (and a b) c)"),
        ("a > b + c", "(> a (+ b c))"),
        ("a + b > bool c or d", "(or (> (+ a b) c) d)"),
        ("a atan2 b * c", "(* (atan2 a b) c)"),
        ("1 - -1", "(- 1.0 -1.0)"),
        ("(a + b) * c", "(* (+ a b) c)"),
    ],
)
def test_operator_precedence_and_associativity(query: str, shape: str) -> None:
    assert _shape(parse_expr(query)) == shape


@pytest.mark.parametrize(
    ("text", "value"),
    [("1e3", 1000.0), ("0x1F", 31.0), (".5", 0.5), ("2.", 2.0), ("Inf", math.inf),
     ("-inf", -math.inf), ("1h30m", 5400.0), ("5m", 300.0)],
)
def test_number_and_duration_literals(text: str, value: float) -> None:
    node = parse_expr(text)
    assert isinstance(node, ast.NumberLiteral)
    assert node.value == value


def test_nan_literal() -> None:
    node = parse_expr("NaN")
    assert isinstance(node, ast.NumberLiteral) and math.isnan(node.value)


def test_string_literals_and_escapes() -> None:
    for text, want in [('"a\\nb"', "a\nb"), ("'it\\'s'", "it's"), ("`raw\\n`", "raw\\n"),
                       ('"\\u00e9"', "é")]:
        node = parse_expr(text)
        assert isinstance(node, ast.StringLiteral) and node.value == want


def test_selector_matchers_and_modifiers() -> None:
    node = parse_expr('http_requests_total{job=~"api|web", code!="500"}[5m] offset -1h @ 100')
    assert isinstance(node, ast.MatrixSelector)
    assert node.range_ms == 300_000
    vs = node.selector
    assert vs.name == "http_requests_total"
    assert [str(m) for m in vs.matchers] == [
        '__name__="http_requests_total"', 'job=~"api|web"', 'code!="500"']
    assert vs.offset_ms == -3_600_000
    assert vs.at is not None and vs.at.at_ms == 100_000


def test_regex_matchers_are_anchored() -> None:
    vs = parse_expr('x{job=~"api"}')
    assert isinstance(vs, ast.VectorSelector)
    m = vs.matchers[1]
    assert m.matches("api") and not m.matches("api-server") and not m.matches("my-api")


def test_name_matcher_and_at_start_end() -> None:
    vs = parse_expr('{__name__="up"} @ start()')
    assert isinstance(vs, ast.VectorSelector)
    assert vs.name == "up" and vs.at is not None and vs.at.special == "start"
    sub = parse_expr("rate(x[5m])[30m:1m] @ end()")
    assert isinstance(sub, ast.SubqueryExpr)
    assert (sub.range_ms, sub.step_ms) == (1_800_000, 60_000)
    assert sub.at is not None and sub.at.special == "end"


def test_aggregation_grouping_before_or_after() -> None:
    a = parse_expr("sum by (job) (x)")
    b = parse_expr("SUM(x) BY (job)")
    for node in (a, b):
        assert isinstance(node, ast.AggregateExpr)
        assert node.op == "sum" and node.grouping == ["job"] and not node.without
    t = parse_expr("topk without (i) (3, x)")
    assert isinstance(t, ast.AggregateExpr) and t.without and t.param is not None
    cv = parse_expr('count_values("v", x)')
    assert isinstance(cv, ast.AggregateExpr) and isinstance(cv.param, ast.StringLiteral)


def test_vector_matching_modifiers() -> None:
    node = parse_expr("a * on(job, instance) group_left(team) b")
    assert isinstance(node, ast.BinaryExpr) and node.matching is not None
    m = node.matching
    assert (m.on, m.labels, m.card, m.include) == (True, ["job", "instance"], "many-to-one",
                                                   ["team"])
    node = parse_expr("a and ignoring(x) b")
    assert isinstance(node, ast.BinaryExpr) and node.matching is not None
    assert node.matching.card == "many-to-many" and not node.matching.on


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("1 +", "1:4: parse error: unexpected end of input"),
        ("foo{", "1:5: parse error: unexpected end of input inside braces"),
        ("sum(x", "1:6: parse error: unclosed left parenthesis"),
        ("((1)", "1:5: parse error: unclosed left parenthesis"),
        ("1)", "1:2: parse error: unexpected right parenthesis ')'"),
        ("rate(x)", '1:6: parse error: expected type range vector in call to function "rate", '
                    "got instant vector"),
        ("nope(x)", '1:1: parse error: unknown function with name "nope"'),
        ("1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"),
        ("a + bool b", "1:3: parse error: bool modifier can only be used on comparison operators"),
        ("1 and 2", '1:3: parse error: set operator "and" not allowed in binary scalar expression'),
        ('{foo=""}', "1:1: parse error: vector selector must contain at least one non-empty matcher"),
        ("(a + b)[5m]", "1:1: parse error: ranges only allowed for vector selectors"),
        # Prometheus points at the modified expression, not the second modifier.
        ("x offset 1m offset 2m", "1:1: parse error: offset may not be set multiple times"),
        ("a + x[5m] @ 1 @ 2", "1:5: parse error: @ <timestamp> may not be set multiple times"),
        ("rate(x[5m]) offset 1m", "1:1: parse error: offset modifier must be preceded by an "
                                  "instant vector selector or range vector selector or a subquery"),
        ("x @ 5[1m]", "1:6: parse error: no @ modifiers allowed before range"),
        ("sum(up) + on(job) group_left(job) up",
         '1:9: parse error: label "job" must not occur in ON and GROUP clause at once'),
        ("(up) and on(job) group_left up",
         '1:1: parse error: no grouping allowed for "and" operation'),
        ("sum(x[5m])", "1:5: parse error: expected type instant vector in aggregation expression, "
                       "got range vector"),
        ("a ! b", "1:3: parse error: unexpected character after '!': ' '"),
        ("1 =~ 1", "1:3: parse error: unexpected character after '=': '~'"),
        ("0deadbeef", '1:1: parse error: bad number or duration syntax: "0de"'),
        ("foo[5m1h]", '1:5: parse error: not a valid duration string: "5m1h"'),
        ("foo[5y1hs]", '1:5: parse error: unknown unit "hs" in duration "5y1hs"'),
        ("foo[0s]", "1:5: parse error: duration must be greater than 0"),
        ("foo offset 9.5e10", "1:12: parse error: duration out of range"),
        ("foo{1}", "1:5: parse error: unexpected character inside braces: '1'"),
        ('foo{__name__="bar" lol}',
         '1:20: parse error: unexpected identifier "lol" in label matching, expected "," or "}"'),
        ("topk(some_metric,)", "1:17: parse error: trailing commas not allowed in function call args"),
        ("sum () by (test)", "1:1: parse error: no arguments for aggregate expression provided"),
        ("foo + group_left(baz) bar", "1:7: parse error: unexpected <group_left>"),
        ("a - on(b) ignoring(c) d", "1:11: parse error: unexpected <ignoring>"),
        ("1 or on(bar) foo", "1:3: parse error: vector matching only allowed between instant vectors"),
        ("foo @ NaN", "1:7: parse error: timestamp out of bounds for @ modifier: NaN"),
        ('-"string"', "1:1: parse error: unary expression only allowed on expressions of type scalar "
                      'or instant vector, got "string"'),
        ("(foo)[5m:][10m:5s]",
         "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"),
        ('"\\c"', "1:1: parse error: unknown escape sequence U+0063 'c'"),
        ("x\n  + ", "2:5: parse error: unexpected end of input"),
    ],
)
def test_parse_errors_carry_line_and_column(query: str, message: str) -> None:
    with pytest.raises(ParseError) as exc_info:
        parse_expr(query)
    assert str(exc_info.value) == message
    err = exc_info.value
    assert (err.line, err.column) == tuple(int(x) for x in message.split(":")[:2])


def test_label_join_is_variadic() -> None:
    parse_expr('label_join(x, "dst", ",")')
    parse_expr('label_join(x, "dst", ",", "a", "b")')
    with pytest.raises(ParseError):
        parse_expr('label_join(x, "dst")')
