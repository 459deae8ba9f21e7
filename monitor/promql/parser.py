"""Recursive-descent / Pratt parser for PromQL (Prometheus 3.x grammar).

    >>> parse_expr('sum by (job) (rate(http_requests_total[5m])) > 3')

Binary operator precedence, lowest first (all left-associative except ``^``)::

    or
    and unless
    == != <= < >= >
    + -
    * / % atan2
    ^            (right-associative)

Unary ``-``/``+`` bind like ``*`` (so ``-a ^ b`` is ``-(a ^ b)``); ``[range]``,
``offset`` and ``@`` are postfix and bind tightest. Errors are
:class:`~monitor.promql.errors.ParseError` with 1-based line and column.
"""

from __future__ import annotations

import math
import re

from monitor.promql import ast
from monitor.promql.ast import AGGREGATORS, FUNCTIONS, SCALAR, TYPE_NAMES, VECTOR
from monitor.promql.errors import ParseError
from monitor.promql.gofmt import go_g
from monitor.promql.lexer import MAX_DURATION_MS, T, Token, parse_error, tokenize
from monitor.promql.storage import Matcher, MatchType

__all__ = ["COMPARISON_OPS", "parse_expr"]


_PRECEDENCE = {
    "or": 1, "and": 2, "unless": 2,
    "==": 3, "!=": 3, "<=": 3, "<": 3, ">=": 3, ">": 3,
    "+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "atan2": 5, "^": 6,
}
COMPARISON_OPS = frozenset({"==", "!=", "<=", "<", ">=", ">"})
SET_OPS = frozenset({"and", "or", "unless"})
_MATCH_OPS = {"=": MatchType.EQUAL, "!=": MatchType.NOT_EQUAL, "=~": MatchType.REGEX,
              "!~": MatchType.NOT_REGEX}
_UNARY_PREC = 6


def parse_expr(text: str) -> ast.Expr:
    """Parse a PromQL expression, raising :class:`ParseError` with a position."""
    try:
        return _Parser(text).parse()
    except RecursionError:
        raise parse_error(text, 0, "expression is nested too deeply") from None


#: Words the grammar reserves; as unexpected tokens they are shown as ``<word>``.
KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
                      "offset"})


def _describe(tok: Token) -> str:
    """Token description in Prometheus's wording (``<op:+>``, ``<by>``, ``"("``)."""
    if tok.kind is T.EOF:
        return "end of input"
    if tok.kind is T.IDENT:
        if tok.text.lower() in KEYWORDS:
            return f"<{tok.text.lower()}>"
        if tok.text.lower() in AGGREGATORS:
            return f"<aggr:{tok.text.lower()}>"
        return f'identifier "{tok.text}"'
    if tok.kind is T.NUMBER:
        return f'number "{tok.text}"'
    if tok.kind is T.DURATION:
        return f'duration "{tok.text}"'
    if tok.kind is T.STRING:
        return f"string {tok.text}"
    if tok.kind is T.RPAREN:
        return "right parenthesis ')'"
    if tok.kind is T.OP:
        return f"<op:{tok.text}>"
    if tok.kind is T.AT:
        return "<op:@>"
    return tok.kind.value


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    # -- token helpers -------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        tok = self.tokens[min(self.i + k, len(self.tokens) - 1)]
        if tok.kind is T.ERROR:  # a lexing error surfaces when the parser reaches it
            raise self.error(tok.pos, str(tok.value))
        return tok

    def next(self) -> Token:
        tok = self.peek()
        if tok.kind is not T.EOF:
            self.i += 1
        return tok

    def error(self, pos: int, msg: str) -> ParseError:
        return parse_error(self.text, pos, msg)

    def unexpected(self, tok: Token, context: str = "") -> ParseError:
        suffix = f" {context}" if context else ""
        return self.error(tok.pos, f"unexpected {_describe(tok)}{suffix}")

    def expect(self, kind: T, context: str = "") -> Token:
        tok = self.peek()
        if tok.kind is not kind:
            raise self.unexpected(tok, context or f"expected {kind.value}")
        return self.next()

    def is_keyword(self, tok: Token, *words: str) -> bool:
        return tok.kind is T.IDENT and tok.text.lower() in words

    # -- grammar ---------------------------------------------------------
    def parse(self) -> ast.Expr:
        if self.peek().kind is T.EOF:
            raise self.error(0, "no expression found in input")
        expr = self.parse_binary(0)
        tok = self.peek()
        if tok.kind is not T.EOF:
            raise self.unexpected(tok)
        return expr

    def parse_binary(self, min_prec: int) -> ast.Expr:
        lhs = self.parse_unary()
        while True:
            tok = self.peek()
            if tok.kind is not T.OP or tok.text not in _PRECEDENCE:
                return lhs
            prec = _PRECEDENCE[tok.text]
            if prec < min_prec:
                return lhs
            self.next()
            lhs = self.parse_binary_rest(tok, lhs, prec)

    def parse_binary_rest(self, op_tok: Token, lhs: ast.Expr, prec: int) -> ast.Expr:
        op = op_tok.text
        return_bool = False
        if self.is_keyword(self.peek(), "bool"):
            self.next()
            return_bool = True
        matching: ast.VectorMatching | None = None
        explicit_matching = False
        if self.is_keyword(self.peek(), "on", "ignoring"):
            explicit_matching = True
            on = self.next().text.lower() == "on"
            matching = ast.VectorMatching(on=on, labels=self.parse_label_list())
        if self.is_keyword(self.peek(), "group_left", "group_right"):
            kw = self.next()
            if matching is None:  # grouping needs on(...) or ignoring(...) first
                raise self.unexpected(kw)
            matching.card = "many-to-one" if kw.text.lower() == "group_left" else "one-to-many"
            if op in SET_OPS:
                raise self.error(lhs.pos, f'no grouping allowed for "{op}" operation')
            if self.peek().kind is T.LPAREN:
                matching.include = self.parse_label_list()
            for ln in matching.include:
                if matching.on and ln in matching.labels:
                    raise self.error(op_tok.pos, f'label "{ln}" must not occur in ON and GROUP '
                                                 "clause at once")
        rhs = self.parse_binary(prec if op == "^" else prec + 1)
        return self._make_binary(op_tok, lhs, rhs, return_bool, matching, explicit_matching)

    def _make_binary(self, op_tok: Token, lhs: ast.Expr, rhs: ast.Expr, return_bool: bool,
                     matching: ast.VectorMatching | None, explicit: bool) -> ast.Expr:
        op = op_tok.text
        pos = op_tok.pos
        for side in (lhs, rhs):
            if side.type not in (SCALAR, VECTOR):
                raise self.error(side.pos, "binary expression must contain only scalar and instant vector types")
        both_vectors = lhs.type == VECTOR and rhs.type == VECTOR
        if return_bool and op not in COMPARISON_OPS:
            raise self.error(pos, "bool modifier can only be used on comparison operators")
        if op in COMPARISON_OPS and not return_bool and lhs.type == SCALAR and rhs.type == SCALAR:
            raise self.error(pos, "comparisons between scalars must use BOOL modifier")
        if explicit and not both_vectors:
            raise self.error(pos, "vector matching only allowed between instant vectors")
        if op in SET_OPS and not both_vectors:
            raise self.error(pos, f'set operator "{op}" not allowed in binary scalar expression')
        if both_vectors:
            if matching is None:
                matching = ast.VectorMatching()
            if op in SET_OPS:
                matching.card = "many-to-many"
        else:
            matching = None
        return ast.BinaryExpr(op, lhs, rhs, return_bool, matching, pos=lhs.pos)

    def parse_unary(self) -> ast.Expr:
        tok = self.peek()
        if tok.kind is T.OP and tok.text in ("-", "+"):
            self.next()
            operand = self.parse_binary(_UNARY_PREC)
            if operand.type not in (SCALAR, VECTOR):
                raise self.error(tok.pos, "unary expression only allowed on expressions of "
                                          "type scalar or instant vector, "
                                          f'got "{TYPE_NAMES[operand.type]}"')
            if tok.text == "+":
                return operand
            if isinstance(operand, ast.NumberLiteral):
                return ast.NumberLiteral(-operand.value, pos=tok.pos)
            return ast.UnaryExpr("-", operand, pos=tok.pos)
        return self.parse_postfix(self.parse_primary())

    def parse_postfix(self, expr: ast.Expr) -> ast.Expr:
        while True:
            tok = self.peek()
            if tok.kind is T.LBRACKET:
                expr = self.parse_range(expr)
            elif self.is_keyword(tok, "offset"):
                self.next()
                expr = self.apply_offset(expr, tok)
            elif tok.kind is T.AT:
                self.next()
                expr = self.apply_at(expr, tok)
            else:
                return expr

    def parse_duration(self, context: str) -> int:
        """A duration or number of seconds, optionally signed; milliseconds."""
        tok = self.next()
        sign = 1
        if tok.kind is T.OP and tok.text in ("-", "+"):
            sign = -1 if tok.text == "-" else 1
            tok = self.next()
        if tok.kind is T.DURATION:
            assert isinstance(tok.value, int)
            return sign * tok.value
        if tok.kind is T.NUMBER and isinstance(tok.value, float):
            if not math.isfinite(tok.value) or abs(tok.value) * 1000 > MAX_DURATION_MS:
                raise self.error(tok.pos, "duration out of range")
            return sign * round(tok.value * 1000)
        raise self.unexpected(tok, f"in {context}, expected number or duration")

    def parse_range(self, expr: ast.Expr) -> ast.Expr:
        lb = self.next()
        rng = self.parse_duration("subquery or range selector")
        if rng <= 0:
            raise self.error(lb.pos + 1, "duration must be greater than 0")
        tok = self.next()
        if tok.kind is T.RBRACKET:
            if not isinstance(expr, ast.VectorSelector):
                raise self.error(expr.pos, "ranges only allowed for vector selectors")
            if expr.offset_ms:
                raise self.error(lb.pos, "no offset modifiers allowed before range")
            if expr.at is not None and expr.at.at_ms is not None:
                # Only a numeric `@`: `x @ end()[5m]` is Prometheus's grammar too.
                raise self.error(lb.pos, "no @ modifiers allowed before range")
            return ast.MatrixSelector(expr, rng, pos=expr.pos)
        if tok.kind is not T.COLON:
            raise self.unexpected(tok, 'in subquery selector, expected ":" or "]"')
        step = 0
        if self.peek().kind is not T.RBRACKET:
            step_tok = self.peek()
            step = self.parse_duration("subquery or range selector")
            if step <= 0:
                raise self.error(step_tok.pos, "duration must be greater than 0")
        self.expect(T.RBRACKET, 'in subquery selector, expected "]"')
        if expr.type != VECTOR:
            got = expr.type  # Prometheus's value-type name here: "matrix", "string", ...
            raise self.error(expr.pos, f"subquery is only allowed on instant vector, got {got} "
                                       "instead")
        return ast.SubqueryExpr(expr, rng, step, pos=expr.pos)

    def _modifiable(self, expr: ast.Expr, tok: Token, what: str) -> ast.Expr:
        target = expr.selector if isinstance(expr, ast.MatrixSelector) else expr
        if not isinstance(target, ast.VectorSelector | ast.SubqueryExpr):
            raise self.error(expr.pos, f"{what} modifier must be preceded by an instant vector "
                                      "selector or range vector selector or a subquery")
        return target

    def apply_offset(self, expr: ast.Expr, tok: Token) -> ast.Expr:
        target = self._modifiable(expr, tok, "offset")
        assert isinstance(target, ast.VectorSelector | ast.SubqueryExpr)
        if target.offset_ms:
            raise self.error(expr.pos, "offset may not be set multiple times")
        target.offset_ms = self.parse_duration("offset")
        return expr

    def apply_at(self, expr: ast.Expr, tok: Token) -> ast.Expr:
        target = self._modifiable(expr, tok, "@")
        assert isinstance(target, ast.VectorSelector | ast.SubqueryExpr)
        if target.at is not None:
            raise self.error(expr.pos, "@ <timestamp> may not be set multiple times")
        t = self.next()
        if self.is_keyword(t, "start", "end"):
            self.expect(T.LPAREN)
            self.expect(T.RPAREN)
            target.at = ast.AtModifier(special=t.text.lower())
            return expr
        sign = 1.0
        if t.kind is T.OP and t.text in ("-", "+"):
            sign = -1.0 if t.text == "-" else 1.0
            t = self.next()
        if t.kind is T.DURATION:
            assert isinstance(t.value, int)
            value = t.value / 1000.0
        elif t.kind is T.NUMBER:
            assert isinstance(t.value, float)
            value = t.value
        else:
            raise self.unexpected(t, "in @, expected timestamp")
        value *= sign
        if not math.isfinite(value):
            raise self.error(t.pos, f"timestamp out of bounds for @ modifier: {go_g(value)}")
        target.at = ast.AtModifier(at_ms=round(value * 1000))
        return expr

    def parse_primary(self) -> ast.Expr:
        tok = self.peek()
        kind = tok.kind
        if kind is T.NUMBER:
            self.next()
            assert isinstance(tok.value, float)
            return ast.NumberLiteral(tok.value, pos=tok.pos)
        if kind is T.DURATION:
            self.next()
            assert isinstance(tok.value, int)
            return ast.NumberLiteral(tok.value / 1000.0, pos=tok.pos)
        if kind is T.STRING:
            self.next()
            assert isinstance(tok.value, str)
            return ast.StringLiteral(tok.value, pos=tok.pos)
        if kind is T.LPAREN:
            self.next()
            inner = self.parse_binary(0)
            self.expect(T.RPAREN, 'in parenthesized expression, expected ")"')
            return ast.ParenExpr(inner, pos=tok.pos)
        if kind is T.LBRACE:
            return self.parse_selector(None, tok.pos)
        if kind is T.IDENT:
            low = tok.text.lower()
            nxt = self.peek(1)
            if low in KEYWORDS and nxt.kind is T.LPAREN:  # e.g. a misplaced ignoring(...)
                raise self.unexpected(tok)
            if low in AGGREGATORS and (nxt.kind is T.LPAREN or self.is_keyword(nxt, "by", "without")):
                return self.parse_aggregation()
            if nxt.kind is T.LPAREN:
                return self.parse_call()
            self.next()
            return self.parse_selector(tok.text, tok.pos)
        if kind is T.EOF:
            raise self.error(tok.pos, "unexpected end of input")
        raise self.unexpected(tok)

    def parse_label_name(self, context: str) -> str:
        tok = self.next()
        if tok.kind is T.IDENT or (tok.kind in (T.OP, T.NUMBER) and tok.text.isalpha()):
            if ":" in tok.text:
                raise self.error(tok.pos + tok.text.index(":"), "unexpected character: ':'")
            return tok.text
        if tok.kind is T.STRING:
            assert isinstance(tok.value, str)
            return tok.value
        raise self.unexpected(tok, context)

    def parse_label_list(self) -> list[str]:
        """``(a, b)`` after by/without/on/ignoring/group_x; a trailing comma is allowed."""
        self.expect(T.LPAREN, 'in grouping opts, expected "("')
        labels: list[str] = []
        while self.peek().kind is not T.RPAREN:
            labels.append(self.parse_label_name("in grouping opts, expected label"))
            if self.peek().kind is T.COMMA:
                self.next()
            elif self.peek().kind is not T.RPAREN:
                raise self.unexpected(self.peek(), 'in grouping opts, expected "," or ")"')
        self.next()
        return labels

    def parse_selector(self, name: str | None, pos: int) -> ast.VectorSelector:
        matchers: list[Matcher] = []
        if name is not None:
            matchers.append(Matcher(MatchType.EQUAL, "__name__", name))
        if self.peek().kind is T.LBRACE:
            self.next()
            while self.peek().kind is not T.RBRACE:
                ltok = self.peek()
                if ltok.kind is T.STRING and self.peek(1).kind in (T.COMMA, T.RBRACE):
                    self.next()
                    assert isinstance(ltok.value, str)
                    if name is not None:
                        raise self.error(ltok.pos, f'metric name must not be set twice: "{name}" or "{ltok.value}"')
                    name = ltok.value
                    matchers.append(Matcher(MatchType.EQUAL, "__name__", name))
                else:
                    label = self.parse_label_name(
                        'in label matching, expected identifier or "}"')
                    optok = self.next()
                    op = optok.text if optok.kind in (T.ASSIGN, T.OP) else ""
                    if op not in _MATCH_OPS:
                        raise self.unexpected(optok, "in label matching, expected label matching operator")
                    vtok = self.next()
                    if vtok.kind is not T.STRING:
                        raise self.unexpected(vtok, "in label matching, expected string")
                    assert isinstance(vtok.value, str)
                    try:
                        matchers.append(Matcher(_MATCH_OPS[op], label, vtok.value))
                    except (re.error, RecursionError, OverflowError) as exc:
                        raise self.error(vtok.pos, f"invalid regular expression {vtok.text}: {exc}") from None
                if self.peek().kind is T.COMMA:
                    self.next()
                elif self.peek().kind is not T.RBRACE:
                    raise self.unexpected(self.peek(), 'in label matching, expected "," or "}"')
            self.next()
        names = [m for m in matchers if m.name == "__name__" and m.type is MatchType.EQUAL]
        if name is not None and len(names) > 1:
            raise self.error(pos, f'metric name must not be set twice: "{names[0].value}" or "{names[1].value}"')
        if not any(not m.matches("") for m in matchers):
            raise self.error(pos, "vector selector must contain at least one non-empty matcher")
        if name is None and names:
            name = names[0].value
        return ast.VectorSelector(name, matchers, pos=pos)

    def parse_call(self) -> ast.Expr:
        tok = self.next()
        fn = FUNCTIONS.get(tok.text)
        if fn is None:
            raise self.error(tok.pos, f'unknown function with name "{tok.text}"')
        self.expect(T.LPAREN)
        args = self.parse_args('in call to function, expected "," or ")"')
        n, req = len(args), len(fn.args)
        where = f'in call to "{fn.name}", got {n}'
        if fn.variadic == 0 and n != req:
            raise self.error(tok.pos, f"expected {req} argument(s) {where}")
        if fn.variadic != 0 and n < req - 1:
            raise self.error(tok.pos, f"expected at least {req - 1} argument(s) {where}")
        if fn.variadic > 0 and n > req - 1 + fn.variadic:
            raise self.error(tok.pos, f"expected at most {req - 1 + fn.variadic} argument(s) {where}")
        for i, arg in enumerate(args):
            want = fn.args[min(i, req - 1)]
            if arg.type != want:
                raise self.error(arg.pos, f"expected type {TYPE_NAMES[want]} in call to function "
                                          f'"{fn.name}", got {TYPE_NAMES[arg.type]}')
        return ast.Call(fn.name, args, pos=tok.pos)

    def parse_args(self, context: str) -> list[ast.Expr]:
        """Comma-separated expressions up to and including the closing ``)``."""
        args: list[ast.Expr] = []
        while self.peek().kind is not T.RPAREN:
            args.append(self.parse_binary(0))
            if self.peek().kind is T.COMMA:
                comma = self.next()
                if self.peek().kind is T.RPAREN:
                    raise self.error(comma.pos, "trailing commas not allowed in function call args")
            elif self.peek().kind is not T.RPAREN:
                raise self.unexpected(self.peek(), context)
        self.next()
        return args

    def parse_aggregation(self) -> ast.Expr:
        tok = self.next()
        op = tok.text.lower()
        grouping: list[str] = []
        without = False
        have_grouping = False
        if self.is_keyword(self.peek(), "by", "without"):
            without = self.next().text.lower() == "without"
            grouping = self.parse_label_list()
            have_grouping = True
        self.expect(T.LPAREN, f'in aggregation "{op}", expected "("')
        args = self.parse_args('in aggregation, expected "," or ")"')
        if self.is_keyword(self.peek(), "by", "without") and not have_grouping:
            without = self.next().text.lower() == "without"
            grouping = self.parse_label_list()
        if not args:
            raise self.error(tok.pos, "no arguments for aggregate expression provided")
        ptype = AGGREGATORS[op]
        want = 2 if ptype else 1
        if len(args) != want:
            raise self.error(tok.pos, "wrong number of arguments for aggregate expression "
                                      f"provided, expected {want}, got {len(args)}")
        param = args[0] if ptype else None
        expr = args[-1]
        if expr.type != VECTOR:
            raise self.error(expr.pos, "expected type instant vector in aggregation expression, "
                                       f"got {TYPE_NAMES[expr.type]}")
        if param is not None and param.type != ptype:
            raise self.error(param.pos, f"expected type {TYPE_NAMES[ptype or SCALAR]} in "
                                        f"aggregation parameter, got {TYPE_NAMES[param.type]}")
        return ast.AggregateExpr(op, expr, param, grouping, without, pos=tok.pos)
