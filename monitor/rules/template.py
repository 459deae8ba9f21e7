"""A small Go ``text/template`` renderer for alert labels and annotations.

Prometheus expands rule labels and annotations with Go templates. Candor supports
the subset real rule files use, and rejects the rest at load time with a message:

* text and ``{{ pipeline }}`` actions, ``{{-``/``-}}`` whitespace trimming, ``{{/* comments */}}``;
* variables ``$labels``, ``$externalLabels``, ``$externalURL``, ``$value`` and the dot
  (``.Labels``, ``.ExternalLabels``, ``.ExternalURL``, ``.Value``), field access
  ``$labels.instance``, declarations ``{{ $x := ... }}``;
* ``{{ if }} / {{ else if }} / {{ else }} / {{ end }}``, ``{{ range $k, $v := $labels }}``,
  ``{{ with }}``;
* pipelines ``{{ $value | humanize }}`` and calls ``{{ printf "%.2f" $value }}``;
* functions: ``humanize``, ``humanize1024``, ``humanizeDuration``, ``humanizePercentage``,
  ``humanizeTimestamp``, ``printf``, ``toUpper``, ``toLower``, ``title``, ``match``,
  ``reReplaceAll``, ``stripPort``, ``safeHtml``, ``eq ne lt le gt ge``, ``and or not``,
  ``len``, ``index``, ``label``? no: only the functions listed here.

Not supported (a load-time error names the function): ``query`` and the functions over
its results (``first``, ``value``, ``sortByLabel``…), ``template``/``define``/``block``.
Missing map keys render as ``""`` (Prometheus's ``missingkey=zero``). A template that
fails while rendering fails for the same reason as in Prometheus, but the message is
shorter: Go's names the column and the node (``executing "__alert_X" at <gt $value 100>``).
Each function is compared with promtool's rendering in
``tests/monitor/rules/test_template_promtool.py``.

>>> render("{{ $labels.job }} is at {{ $value | humanizePercentage }}",
...        {"job": "api"}, 0.1234)
'api is at 12.34%'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitor.promql.gofmt import go_exponent, go_g, go_quote

__all__ = ["Template", "TemplateError", "go_value", "humanize", "parse", "render"]


class TemplateError(Exception):
    """The template does not parse, or failed while rendering."""


# ---- Go formatting (numbers: monitor.promql.gofmt) ------------------------------------


def go_value(v: Any) -> str:
    """How Go's ``fmt.Sprint`` prints a template value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return go_g(v)
    if isinstance(v, Mapping):
        return "map[" + " ".join(f"{k}:{go_value(v[k])}" for k in sorted(v)) + "]"
    if v is None:
        return "<no value>"
    return str(v)


def _fmt4g(v: float) -> str:
    return go_g(v, 4)


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise TemplateError(f"can't convert {go_value(v)} to float")
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            raise TemplateError(f'strconv.ParseFloat: parsing "{v}": invalid syntax') from None
    raise TemplateError(f"can't convert {go_value(v)} to float")


def humanize(value: Any) -> str:
    """``1234 -> '1.234k'``, ``0.001 -> '1m'`` (SI prefixes, 4 significant digits)."""
    v = _to_float(value)
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _fmt4g(v)
    prefix = ""
    if abs(v) >= 1:
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"]:
            if abs(v) < 1000:
                break
            prefix = p
            v /= 1000
        return _fmt4g(v) + prefix
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"]:
        if abs(v) >= 1:
            break
        prefix = p
        v *= 1000
    return _fmt4g(v) + prefix


def humanize1024(value: Any) -> str:
    v = _to_float(value)
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return _fmt4g(v)
    prefix = ""
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"]:
        if abs(v) < 1024:
            break
        prefix = p
        v /= 1024
    return _fmt4g(v) + prefix


def humanize_duration(value: Any) -> str:
    v = _to_float(value)
    if math.isnan(v) or math.isinf(v):
        return _fmt4g(v)
    if v == 0:
        return _fmt4g(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v)
        d = int(v)
        secs, mins, hours, days = d % 60, (d // 60) % 60, (d // 3600) % 24, d // 86400
        if days:
            return f"{sign}{days}d {hours}h {mins}m {secs}s"
        if hours:
            return f"{sign}{hours}h {mins}m {secs}s"
        if mins:
            return f"{sign}{mins}m {secs}s"
        return f"{sign}{_fmt4g(v)}s"
    prefix = ""
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"]:
        if abs(v) >= 1:
            break
        prefix = p
        v *= 1000
    return f"{_fmt4g(v)}{prefix}s"


def humanize_percentage(value: Any) -> str:
    return _fmt4g(_to_float(value) * 100) + "%"


def humanize_timestamp(value: Any) -> str:
    """Go's ``time.Time.String()`` in UTC: ``1970-01-01 00:00:01 +0000 UTC``."""
    v = _to_float(value)
    if math.isnan(v) or math.isinf(v):
        return _fmt4g(v)
    if abs(v * 1e9) >= 2**63:
        raise TemplateError(f"{go_g(v)} cannot be represented as a nanoseconds timestamp "
                            "since it overflows int64")
    ms = int(int(v * 1e9) / 1_000_000)  # model.Time: millisecond precision
    secs, frac = divmod(ms, 1000)
    when = datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%d %H:%M:%S")
    tail = f".{frac:03d}".rstrip("0") if frac else ""
    return f"{when}{tail} +0000 UTC"


def _printf(fmt: Any, *args: Any) -> str:
    if not isinstance(fmt, str):
        raise TemplateError("printf: the format must be a string")
    out: list[str] = []
    it = iter(args)
    pos = 0
    for m in re.finditer(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])", fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        flags, width, prec, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        arg = next(it, _MISSING)
        if arg is _MISSING:
            out.append(f"%!{verb}(MISSING)")
            continue
        spec = f"%{flags}{width or ''}{'.' + prec if prec is not None else ''}"
        if verb == "s" and isinstance(arg, bool | int | float):
            out.append(f"%!s({_go_type(arg)}={go_value(arg)})")  # Go: a bad verb for numbers
        elif verb in "vs":
            text = go_value(arg)
            if prec is not None:
                text = text[: int(prec)]
            out.append(f"{text:{'<' if '-' in flags else '>'}{width or ''}}")
        elif verb == "q":
            out.append(go_quote(go_value(arg)))
        elif verb in "dxXo" and isinstance(arg, int) and not isinstance(arg, bool):
            out.append((spec + verb) % arg)
        elif verb in "feEgG" and isinstance(arg, int | float) and not isinstance(arg, bool):
            f = float(arg)
            if math.isnan(f) or math.isinf(f):
                out.append(go_g(f))
            elif verb in "gG" and prec is None:  # Go: the shortest exact digits, not 6
                text = go_g(f)
                text = text.upper() if verb == "G" else text
                if "+" in flags and f >= 0:
                    text = "+" + text
                out.append(f"{text:{'<' if '-' in flags else '>'}{width or ''}}")
            else:
                out.append(go_exponent((spec + verb) % f))
        else:
            out.append(f"%!{verb}({_go_type(arg)}={go_value(arg)})")
    out.append(fmt[pos:])
    extra = list(it)
    if extra:
        out.append("%!(EXTRA " + ", ".join(f"{_go_type(a)}={go_value(a)}" for a in extra) + ")")
    return "".join(out)


_MISSING = object()


def _go_type(v: Any) -> str:
    """The Go type name fmt prints in ``%!verb(type=value)``."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, Mapping):
        return "map[string]string"
    return "<nil>" if v is None else type(v).__name__


def _go_title(s: Any) -> str:
    """Go's ``strings.Title``: upper-case a letter that follows a separator (anything but a
    letter, digit or underscore); leave every other letter as it is."""
    def separator(c: str) -> bool:
        if c.isascii():
            return not (c.isalnum() or c == "_")
        return not (c.isalpha() or c.isdigit()) and c.isspace()

    out, prev = [], " "
    for c in str(s):
        out.append(_upper1(c) if separator(prev) else c)
        prev = c
    return "".join(out)


def _upper1(c: str) -> str:
    # Go maps rune by rune (simple case mapping): "ß" stays "ß", Python's upper() gives "SS"
    u = c.upper()
    return u if len(u) == 1 else c


def _lower1(c: str) -> str:
    low = c.lower()
    return low if len(low) == 1 else c


_GROUP_REF = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|\$)")


def _re_replace_all(pattern: Any, repl: Any, text: Any) -> str:
    """Go's ``Regexp.ReplaceAllString``: ``$1``, ``${1}``, ``$name`` (the longest run of
    letters, digits and ``_``, so ``$1x`` is the group named ``1x``), ``$$`` for ``$``; a
    group that does not exist expands to nothing."""
    regex = re.compile(str(pattern))
    template = str(repl)

    def group(m: re.Match[str], name: str) -> str:
        try:
            index = int(name) if name.isdigit() else regex.groupindex[name]
            return m.group(index) or ""
        except (KeyError, IndexError):
            return ""

    def expand(m: re.Match[str]) -> str:
        return _GROUP_REF.sub(
            lambda ref: "$" if ref.group(0) == "$$" else group(m, ref.group(1) or ref.group(2)),
            template)

    return regex.sub(expand, str(text))


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return type(v).__name__


def _eq(a: Any, *bs: Any) -> bool:
    """Go's ``eq``: true if ``a`` equals any of ``bs``; values of different basic kinds
    (a float and an int included) are an error, not unequal."""
    if not bs:
        raise TemplateError("missing argument for comparison")
    for b in bs:
        if _kind(a) != _kind(b):
            raise TemplateError("incompatible types for comparison")
        if a == b:
            return True
    return False


def _and(first: Any, *rest: Any) -> Any:
    """Go's ``and``: the first false argument, or the last."""
    for v in (first, *rest):
        if not _truth(v):
            return v
    return (first, *rest)[-1]


def _or(first: Any, *rest: Any) -> Any:
    """Go's ``or``: the first true argument, or the last."""
    for v in (first, *rest):
        if _truth(v):
            return v
    return (first, *rest)[-1]


def _strip_port(host: Any) -> str:
    s = str(host)
    if s.startswith("["):
        return s[1:s.index("]")] if "]" in s else s
    return s.rsplit(":", 1)[0] if s.count(":") == 1 else s


def _cmp(op: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def f(a: Any, *bs: Any) -> bool:
        if not bs:
            raise TemplateError("missing argument for comparison")
        for b in bs:
            if _kind(a) != _kind(b) or _kind(a) == "bool":  # Go: no int/float mixing
                raise TemplateError("incompatible types for comparison")
            if op(a, b):
                return True
        return False

    return f


def _truth(v: Any) -> bool:
    if isinstance(v, float):
        return v != 0 and not math.isnan(v) or math.isnan(v)
    return bool(v)


FUNCS: dict[str, Callable[..., Any]] = {
    "humanize": humanize,
    "humanize1024": humanize1024,
    "humanizeDuration": humanize_duration,
    "humanizePercentage": humanize_percentage,
    "humanizeTimestamp": humanize_timestamp,
    "printf": _printf,
    "toUpper": lambda s: "".join(map(_upper1, str(s))),
    "toLower": lambda s: "".join(map(_lower1, str(s))),
    "title": _go_title,
    "match": lambda pattern, s: re.search(str(pattern), str(s)) is not None,
    "reReplaceAll": _re_replace_all,
    "stripPort": _strip_port,
    "safeHtml": lambda s: str(s),
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": lambda a, b: _cmp(lambda x, y: x < y)(a, b),
    "le": lambda a, b: _cmp(lambda x, y: x <= y)(a, b),
    "gt": lambda a, b: _cmp(lambda x, y: x > y)(a, b),
    "ge": lambda a, b: _cmp(lambda x, y: x >= y)(a, b),
    "not": lambda a: not _truth(a),
    "and": _and,
    "or": _or,
    "len": lambda a: len(a),
    "index": lambda m, *ks: _index(m, ks),
}

UNSUPPORTED = {"query", "first", "label", "value", "strvalue", "sortByLabel", "args",
               "tmpl", "pathPrefix", "externalURL", "parseDuration", "toTime", "call",
               "html", "js", "urlquery", "print", "println", "slice"}


def _index(m: Any, keys: tuple[Any, ...]) -> Any:
    for k in keys:
        m = m.get(k, "") if isinstance(m, Mapping) else m[k]
    return m


# ---- parsing -------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<num>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+))
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[|(),])
""", re.X)


@dataclass
class _Arg:
    kind: str  # lit | var | field | pipe | ident
    value: Any


@dataclass
class _Cmd:
    args: list[_Arg]


@dataclass
class _Pipe:
    cmds: list[_Cmd]
    decl: list[str] = field(default_factory=list)


@dataclass
class _Text:
    text: str


@dataclass
class _Action:
    pipe: _Pipe


@dataclass
class _If:
    kind: str  # if | with | range
    pipe: _Pipe
    body: list[Any]
    orelse: list[Any] = field(default_factory=list)


@dataclass
class Template:
    """A parsed template; ``render`` it with labels and a value."""

    name: str
    nodes: list[Any]

    def execute(self, data: dict[str, Any]) -> str:
        scope: dict[str, Any] = {
            "$": data, "$labels": data.get("Labels", {}),
            "$externalLabels": data.get("ExternalLabels", {}),
            "$externalURL": data.get("ExternalURL", ""), "$value": data.get("Value", 0.0),
        }
        out: list[str] = []
        _exec(self.nodes, data, [scope], out, self.name)
        return "".join(out)


def parse(text: str, name: str = "template") -> Template:
    """Parse ``text``; raises :class:`TemplateError` like Go: ``template: NAME:LINE: ...``."""
    pieces: list[tuple[str, str, int]] = []  # (kind, text, line)
    i = 0
    while True:
        j = text.find("{{", i)
        if j < 0:
            pieces.append(("text", text[i:], text.count("\n", 0, i) + 1))
            break
        pieces.append(("text", text[i:j], text.count("\n", 0, i) + 1))
        line = text.count("\n", 0, j) + 1
        k = j + 2
        trim_left = text.startswith("- ", k) or text.startswith("-\t", k) or text.startswith("-\n", k)
        if trim_left:
            k += 1
        end = _find_close(text, k)
        if end < 0:
            raise TemplateError(f"template: {name}:{line}: unclosed action")
        body = text[k:end]
        trim_right = body.endswith(" -") or body.endswith("\t-") or body.endswith("\n-")
        if trim_right:
            body = body[:-1]
        if trim_left and pieces and pieces[-1][0] == "text":
            pieces[-1] = ("text", pieces[-1][1].rstrip(" \t\r\n"), pieces[-1][2])
        pieces.append(("action", body.strip(), line))
        i = end + 2
        if trim_right:
            while i < len(text) and text[i] in " \t\r\n":
                i += 1
    nodes, rest, stop = _build(pieces, 0, name, top=True)
    return Template(name, nodes)


def _find_close(text: str, k: int) -> int:
    quote = ""
    while k < len(text) - 1:
        c = text[k]
        if quote:
            if c == "\\" and quote == '"':
                k += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"`":
            quote = c
        elif text.startswith("}}", k):
            return k
        k += 1
    return -1


def _build(pieces: list[tuple[str, str, int]], i: int, name: str,
           top: bool = False) -> tuple[list[Any], int, str]:
    nodes: list[Any] = []
    while i < len(pieces):
        kind, body, line = pieces[i]
        i += 1
        if kind == "text":
            if body:
                nodes.append(_Text(body))
            continue
        if body.startswith("/*"):
            if not body.endswith("*/"):
                raise TemplateError(f"template: {name}:{line}: unclosed comment")
            continue
        word = body.split(None, 1)[0] if body else ""
        if word in ("end", "else"):
            if top:
                raise TemplateError(f"template: {name}:{line}: unexpected {{{{{word}}}}}")
            return nodes, i - 1, body
        if word in ("if", "with", "range"):
            pipe = _parse_pipe(body[len(word):], name, line, allow_decl=True)
            inner, i, stop = _build(pieces, i, name)
            node = _If(word, pipe, inner)
            nodes.append(node)
            while True:
                if i >= len(pieces):
                    raise TemplateError(f"template: {name}:{line}: unexpected EOF")
                _, stop_body, stop_line = pieces[i]
                i += 1
                if stop_body == "end":
                    break
                if stop_body == "else":
                    node.orelse, i, _ = _build(pieces, i, name)
                    continue
                if stop_body.startswith("else if ") and word == "if":
                    sub_pipe = _parse_pipe(stop_body[len("else if"):], name, stop_line)
                    sub_body, i, _ = _build(pieces, i, name)
                    sub = _If("if", sub_pipe, sub_body)
                    node.orelse = [sub]
                    node = sub
                    continue
                raise TemplateError(f"template: {name}:{stop_line}: unexpected {{{{{stop_body}}}}}")
            continue
        if word in ("template", "define", "block"):
            raise TemplateError(f"template: {name}:{line}: {{{{{word}}}}} is not supported by "
                                "Candor's template renderer")
        if not body:
            raise TemplateError(f"template: {name}:{line}: missing value for command")
        nodes.append(_Action(_parse_pipe(body, name, line, allow_decl=True)))
    if not top:
        raise TemplateError(f"template: {name}: unexpected EOF")
    return nodes, i, ""


def _tokens(text: str, name: str, line: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise TemplateError(f"template: {name}:{line}: unexpected {text[pos]!r} in command")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append((kind, m.group()))
    return out


def _parse_pipe(text: str, name: str, line: int, allow_decl: bool = False) -> _Pipe:
    toks = _tokens(text, name, line)
    decl: list[str] = []
    for n in (1, 2):
        if (allow_decl and len(toks) > 2 * n - 1 and toks[2 * n - 1][0] in ("declare", "assign")
                and all(t[0] == "var" for t in toks[0:2 * n - 1:2])
                and all(t == ("punct", ",") for t in toks[1:2 * n - 1:2])):
            decl = [toks[k][1] for k in range(0, 2 * n - 1, 2)]
            toks = toks[2 * n:]
            break
    pipe, rest = _parse_cmds(toks, 0, name, line)
    if rest != len(toks):
        raise TemplateError(f"template: {name}:{line}: unexpected {toks[rest][1]!r} in operand")
    pipe.decl = decl
    return pipe


def _parse_cmds(toks: list[tuple[str, str]], i: int, name: str, line: int) -> tuple[_Pipe, int]:
    cmds: list[_Cmd] = []
    args: list[_Arg] = []
    while i < len(toks):
        kind, text = toks[i]
        if text == ")":
            break
        i += 1
        if text == "|":
            if not args:
                raise TemplateError(f"template: {name}:{line}: missing command before '|'")
            cmds.append(_Cmd(args))
            args = []
            continue
        if text == "(":
            sub, i = _parse_cmds(toks, i, name, line)
            if i >= len(toks) or toks[i][1] != ")":
                raise TemplateError(f"template: {name}:{line}: unclosed left paren")
            i += 1
            args.append(_Arg("pipe", sub))
        elif kind == "str":
            args.append(_Arg("lit", _unquote(text)))
        elif kind == "raw":
            args.append(_Arg("lit", text[1:-1]))
        elif kind == "num":
            args.append(_Arg("lit", float(text) if any(c in text for c in ".eE") else int(text)))
        elif kind == "var":
            args.append(_Arg("var", text))
        elif kind == "field":
            args.append(_Arg("field", text))
        elif kind == "ident":
            if text in ("true", "false"):
                args.append(_Arg("lit", text == "true"))
            elif text == "nil":
                args.append(_Arg("lit", None))
            elif text in FUNCS:
                args.append(_Arg("ident", text))
            elif text in UNSUPPORTED:
                raise TemplateError(f"template: {name}:{line}: function {text!r} is not supported "
                                    "by Candor's template renderer (see monitor/rules/template.py)")
            else:
                raise TemplateError(f'template: {name}:{line}: function "{text}" not defined')
        else:
            raise TemplateError(f"template: {name}:{line}: unexpected {text!r} in command")
    if args:
        cmds.append(_Cmd(args))
    elif cmds:
        raise TemplateError(f"template: {name}:{line}: missing command after '|'")
    if not cmds:
        raise TemplateError(f"template: {name}:{line}: missing value for command")
    return _Pipe(cmds), i


def _unquote(text: str) -> str:
    body = text[1:-1]
    esc = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "r": "\r"}
    return re.sub(r"\\(.)", lambda m: esc.get(m.group(1), m.group(0)), body)


# ---- execution -----------------------------------------------------------------------


def _lookup(scopes: list[dict[str, Any]], var: str, name: str) -> Any:
    head, *path = var.split(".")
    for scope in reversed(scopes):
        if head in scope:
            value = scope[head]
            break
    else:
        raise TemplateError(f'template: {name}: undefined variable "{head}"')
    return _walk(value, path)


def _walk(value: Any, path: list[str]) -> Any:
    for key in path:
        if isinstance(value, Mapping):
            value = value.get(key, "")
        else:
            raise TemplateError(f"can't evaluate field {key} in type {type(value).__name__}")
    return value


def _eval_arg(arg: _Arg, dot: Any, scopes: list[dict[str, Any]], name: str) -> Any:
    if arg.kind == "lit":
        return arg.value
    if arg.kind == "var":
        return _lookup(scopes, arg.value, name)
    if arg.kind == "field":
        return dot if arg.value == "." else _walk(dot, arg.value.split(".")[1:])
    if arg.kind == "pipe":
        return _eval_pipe(arg.value, dot, scopes, name)
    return FUNCS[arg.value]()


def _eval_pipe(pipe: _Pipe, dot: Any, scopes: list[dict[str, Any]], name: str) -> Any:
    value: Any = _MISSING
    for cmd in pipe.cmds:
        first = cmd.args[0]
        if first.kind == "ident":
            args = [_eval_arg(a, dot, scopes, name) for a in cmd.args[1:]]
            if value is not _MISSING:
                args.append(value)
            try:
                value = FUNCS[first.value](*args)
            except TemplateError as exc:
                raise TemplateError(f"template: {name}: error calling {first.value}: {exc}") from None
            except (TypeError, ValueError, re.error, IndexError, KeyError) as exc:
                raise TemplateError(f"template: {name}: error calling {first.value}: {exc}") from None
        else:
            if len(cmd.args) > 1 or value is not _MISSING:
                raise TemplateError(f"template: {name}: can't give argument to non-function")
            value = _eval_arg(first, dot, scopes, name)
    return value


def _exec(nodes: list[Any], dot: Any, scopes: list[dict[str, Any]], out: list[str],
          name: str) -> None:
    for node in nodes:
        if isinstance(node, _Text):
            out.append(node.text)
        elif isinstance(node, _Action):
            value = _eval_pipe(node.pipe, dot, scopes, name)
            if node.pipe.decl:
                scopes[-1][node.pipe.decl[0]] = value
            else:
                out.append(go_value(value))
        elif node.kind == "range":
            value = _eval_pipe(node.pipe, dot, scopes, name)
            items: list[tuple[Any, Any]]
            if isinstance(value, Mapping):
                items = [(k, value[k]) for k in sorted(value)]
            elif isinstance(value, list | tuple):
                items = list(enumerate(value))
            else:
                raise TemplateError(f"template: {name}: range can't iterate over {go_value(value)}")
            if not items:
                _exec(node.orelse, dot, scopes, out, name)
            for k, v in items:
                scope: dict[str, Any] = {}
                if len(node.pipe.decl) == 2:
                    scope[node.pipe.decl[0]], scope[node.pipe.decl[1]] = k, v
                elif node.pipe.decl:
                    scope[node.pipe.decl[0]] = v
                _exec(node.body, v, [*scopes, scope], out, name)
        else:
            value = _eval_pipe(node.pipe, dot, scopes, name)
            scope = {node.pipe.decl[0]: value} if node.pipe.decl else {}
            if _truth(value) if not isinstance(value, str | Mapping) else bool(value):
                _exec(node.body, value if node.kind == "with" else dot, [*scopes, scope], out, name)
            else:
                _exec(node.orelse, dot, [*scopes, scope], out, name)


def render(text: str, labels: Mapping[str, str], value: float,
           external_labels: Mapping[str, str] | None = None, external_url: str = "",
           name: str = "template") -> str:
    """Parse and execute ``text`` with the alert-template data Prometheus provides."""
    data = {"Labels": dict(labels), "ExternalLabels": dict(external_labels or {}),
            "ExternalURL": external_url, "Value": float(value)}
    return parse(text, name).execute(data)
