"""Tokenizer for PromQL.

Produces a flat list of :class:`Token`; the parser does all structural work.
Durations (``5m``, ``1h30m``) are their own token kind so the parser can accept
them both as ranges and, as Prometheus 3 does, as numbers of seconds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from monitor.durations import parse_duration
from monitor.promql.errors import ParseError


class T(Enum):
    """Token kinds."""

    NUMBER = "number"
    DURATION = "duration"
    STRING = "string"
    IDENT = "identifier"
    LPAREN = '"("'
    RPAREN = '")"'
    LBRACE = '"{"'
    RBRACE = '"}"'
    LBRACKET = '"["'
    RBRACKET = '"]"'
    COMMA = '","'
    COLON = '":"'
    AT = '"@"'
    ASSIGN = '"="'
    OP = "operator"
    ERROR = "error"
    EOF = "end of input"


@dataclass(frozen=True, slots=True)
class Token:
    kind: T
    text: str
    pos: int
    value: float | str | None = None


#: Identifiers that act as binary operators.
WORD_OPERATORS = frozenset({"and", "or", "unless", "atan2"})

_DURATION_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
                   "w": 604_800_000, "y": 31_536_000_000}
_NUMBER_RE = re.compile(
    r"0[xX][0-9a-fA-F]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
)
_IDENT_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _letter(c: str) -> bool:
    """An ASCII letter: PromQL identifiers are ASCII (``str.isalpha`` accepts any script)."""
    return c.isascii() and c.isalpha()


def _digit(c: str) -> bool:
    return c.isascii() and c.isdigit()
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", "'": "'", '"': '"'}


def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    return line, pos - start + 1


def parse_error(text: str, pos: int, message: str) -> ParseError:
    line, col = line_col(text, pos)
    return ParseError(message, pos, line, col)


def parse_duration_ms(text: str) -> int | None:
    """Parse ``1h30m`` into milliseconds (``monitor.durations``, the one parser); ``None``
    if it is not a valid duration."""
    try:
        ms = parse_duration(text) // timedelta(milliseconds=1)
    except (ValueError, OverflowError):
        return None
    return ms if ms <= MAX_DURATION_MS else None


def unquote(text: str, body: str, quote: str, pos: int) -> str:
    """Interpret Go-style escapes in a quoted string body. Invalid UTF-8 bytes are
    kept as surrogate escapes so they can be reported later."""
    if quote == "`":
        return body
    buf = bytearray()
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            buf += ch.encode("utf-8", "surrogateescape")
            i += 1
            continue
        i += 1
        if i >= n:
            raise parse_error(text, pos, "escape sequence not terminated")
        e = body[i]
        if e in _ESCAPES:
            if e in "'\"" and e != quote:
                raise parse_error(text, pos + i, f"unknown escape sequence U+{ord(e):04X} {_rune(e)}")
            buf += _ESCAPES[e].encode()
            i += 1
        elif e == "x":
            hexd = body[i + 1 : i + 3]
            bad = next((c for c in hexd if c not in "0123456789abcdefABCDEF"), None)
            if bad is not None:
                raise parse_error(text, pos + i,
                                  f"illegal character U+{ord(bad):04X} {_rune(bad)} in escape sequence")
            if len(hexd) != 2:
                raise parse_error(text, pos + i, "escape sequence not terminated")
            buf.append(int(hexd, 16))
            i += 3
        elif e in "01234567":
            octd = body[i : i + 3]
            if len(octd) != 3 or not all(c in "01234567" for c in octd) or int(octd, 8) > 255:
                raise parse_error(text, pos + i, "invalid octal escape sequence")
            buf.append(int(octd, 8))
            i += 3
        elif e in "uU":
            width = 4 if e == "u" else 8
            hexd = body[i + 1 : i + 1 + width]
            if len(hexd) != width or not all(c in "0123456789abcdefABCDEF" for c in hexd):
                raise parse_error(text, pos + i, f"invalid \\{e} escape sequence")
            buf += chr(int(hexd, 16)).encode("utf-8", "surrogatepass")
            i += 1 + width
        else:
            raise parse_error(text, pos + i, f"unknown escape sequence U+{ord(e):04X} {_rune(e)}")
    return buf.decode("utf-8", "surrogateescape")


def _rune(c: str) -> str:
    """Go's ``%q`` for a rune: ``'x'``."""
    if c == "'":
        return "'\\''"
    if c == "\n":
        return "'\\n'"
    return f"'{c}'"


def _is_word_char(c: str) -> bool:
    return (c.isascii() and c.isalnum()) or c == "_"


class _Lexer:
    """Tokenizer with Prometheus's lexer states: statements, inside ``{}``, inside ``[]``.

    Lexing errors become a final ``ERROR`` token (message in ``value``) so the
    parser reports them only when it reaches that point, like Prometheus.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []
        self.i = 0
        self.paren_depth = 0
        self.in_braces = False
        self.in_brackets = False

    def fail(self, pos: int, message: str) -> list[Token]:
        self.tokens.append(Token(T.ERROR, "", pos, message))
        return self.tokens

    def emit(self, kind: T, text: str, pos: int, value: float | str | None = None) -> None:
        self.tokens.append(Token(kind, text, pos, value))

    def run(self) -> list[Token]:
        text, n = self.text, len(self.text)
        while self.i < n:
            i = self.i
            c = text[i]
            if c in " \t\r\n":
                self.i += 1
                continue
            if c == "#" and not self.in_braces:
                nl = text.find("\n", i)
                self.i = n if nl < 0 else nl + 1
                continue
            if c in "\"'`":
                err = self.string(c)
                if err:
                    return self.fail(i, err)
                continue
            if self.in_braces:
                err = self.inside_braces(c)
            else:
                err = self.statement(c)
            if err:
                return self.fail(i, err)
        if self.in_braces:
            return self.fail(n, "unexpected end of input inside braces")
        if self.paren_depth > 0:
            return self.fail(n, "unclosed left parenthesis")
        self.emit(T.EOF, "", n)
        return self.tokens

    def string(self, q: str) -> str | None:
        text, n, i = self.text, len(self.text), self.i
        j = i + 1
        while j < n and text[j] != q:
            if text[j] == "\\" and q != "`":
                j += 1
                if j >= n:
                    return "escape sequence not terminated"
            elif text[j] == "\n" and q != "`":
                return "unterminated quoted string"
            j += 1
        if j >= n:
            return "unterminated raw string" if q == "`" else "unterminated quoted string"
        try:
            value = unquote(text, text[i + 1 : j], q, i + 1)
        except ParseError as exc:
            self.i = exc.position if exc.position is not None else i
            return exc.message
        self.emit(T.STRING, text[i : j + 1], i, value)
        self.i = j + 1
        return None

    def inside_braces(self, c: str) -> str | None:
        text, i = self.text, self.i
        nxt = text[i + 1 : i + 2]
        if _letter(c) or c == "_":
            m = _LABEL_RE.match(text, i)
            assert m is not None
            self.emit(T.IDENT, m.group(), i)
            self.i = m.end()
        elif c == ",":
            self.emit(T.COMMA, c, i)
            self.i += 1
        elif c == "=":
            if nxt == "~":
                self.emit(T.OP, "=~", i)
                self.i += 2
            else:
                self.emit(T.ASSIGN, "=", i)
                self.i += 1
        elif c == "!":
            if nxt in ("~", "="):
                self.emit(T.OP, c + nxt, i)
                self.i += 2
            else:
                return f"unexpected character after '!' inside braces: {_rune(nxt)}"
        elif c == "{":
            return f"unexpected left brace {_rune(c)}"
        elif c == "}":
            self.emit(T.RBRACE, c, i)
            self.in_braces = False
            self.i += 1
        else:
            return f"unexpected character inside braces: {_rune(c)}"
        return None

    def statement(self, c: str) -> str | None:
        text, i = self.text, self.i
        nxt = text[i + 1 : i + 2]
        if _digit(c) or (c == "." and _digit(nxt)):
            return self.number()
        if _letter(c) or c == "_" or (c == ":" and not self.in_brackets):
            if self.in_brackets and _letter(c):
                return f"unexpected character: {_rune(c)}, expected ':'"
            m = _IDENT_RE.match(text, i)
            assert m is not None
            word = m.group()
            low = word.lower()
            if low in ("inf", "nan"):
                self.emit(T.NUMBER, word, i, math.inf if low == "inf" else math.nan)
            elif low in WORD_OPERATORS:
                self.emit(T.OP, low, i)
            else:
                self.emit(T.IDENT, word, i)
            self.i = m.end()
            return None
        if c == "=":
            if nxt == "=":
                self.emit(T.OP, "==", i)
                self.i += 2
                return None
            if nxt == "~":
                return f"unexpected character after '=': {_rune(nxt)}"
            self.emit(T.ASSIGN, "=", i)
            self.i += 1
            return None
        if c == "!":
            if nxt == "=":
                self.emit(T.OP, "!=", i)
                self.i += 2
                return None
            return f"unexpected character after '!': {_rune(nxt)}"
        two = text[i : i + 2]
        if two in ("<=", ">="):
            self.emit(T.OP, two, i)
            self.i += 2
            return None
        if c in "+-*/%^<>":
            self.emit(T.OP, c, i)
            self.i += 1
            return None
        if c == "(":
            self.paren_depth += 1
            self.emit(T.LPAREN, c, i)
        elif c == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return "unexpected right parenthesis ')'"
            self.emit(T.RPAREN, c, i)
        elif c == "{":
            self.in_braces = True
            self.emit(T.LBRACE, c, i)
        elif c == "[":
            if self.in_brackets:
                return "unexpected left bracket '['"
            self.in_brackets = True
            self.emit(T.LBRACKET, c, i)
        elif c == "]":
            if not self.in_brackets:
                return "unexpected right bracket ']'"
            self.in_brackets = False
            self.emit(T.RBRACKET, c, i)
        elif c == ",":
            self.emit(T.COMMA, c, i)
        elif c == ":" and self.in_brackets:
            self.emit(T.COLON, c, i)
        elif c == "@":
            self.emit(T.AT, c, i)
        else:
            return f"unexpected character: {_rune(c)}"
        self.i += 1
        return None

    def number(self) -> str | None:
        text, n, i = self.text, len(self.text), self.i
        m = _DURATION_LEX_RE.match(text, i)
        if m and not (m.end() < n and (_is_word_char(text[m.end()]) or text[m.end()] == ".")):
            word = m.group()
            try:
                ms = duration_ms(word)
            except ValueError as exc:
                return str(exc)
            self.emit(T.DURATION, word, i, ms)
            self.i = m.end()
            return None
        m = _NUMBER_RE.match(text, i)
        assert m is not None
        end = m.end()
        if end < n and (_is_word_char(text[end]) or text[end] == "."):
            # report what was consumed plus the offending character, like Prometheus
            partial = _DURATION_LEX_RE.match(text, i)
            scanned = max(end, partial.end()) if partial else end
            return f'bad number or duration syntax: "{text[i : scanned + 1]}"'
        word = m.group()
        value = float(int(word, 16)) if word[:2] in ("0x", "0X") else float(word)
        self.emit(T.NUMBER, word, i, value)
        self.i = end
        return None


_LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_DURATION_LEX_RE = re.compile(r"[0-9]+[smhdwy]s?(?:[0-9]+[smhdw]s?)*")
#: Largest duration Go's time.Duration can hold, in milliseconds.
MAX_DURATION_MS = (2**63 - 1) // 1_000_000


def duration_ms(word: str) -> int:
    """Parse a lexed duration like ``1h30m``; ``ValueError`` carries Prometheus's message."""
    total = 0
    last_unit = math.inf
    for num, unit in re.findall(r"([0-9]+)([a-z]+)", word):
        if unit not in _DURATION_UNITS:
            raise ValueError(f'unknown unit "{unit}" in duration "{word}"')
        mult = _DURATION_UNITS[unit]
        if mult >= last_unit:
            raise ValueError(f'not a valid duration string: "{word}"')
        last_unit = mult
        total += int(num) * mult
    if total > MAX_DURATION_MS:
        raise ValueError("duration out of range")
    return total


def tokenize(text: str) -> list[Token]:
    """Split a PromQL expression into tokens. A lexing error ends the list with an
    ``ERROR`` token whose ``value`` is the message (see :class:`_Lexer`)."""
    return _Lexer(text).run()
