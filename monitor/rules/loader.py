"""Read Prometheus rule files, checking them like ``promtool check rules``.

    rule_file = load_rules("rules/everlinks.yml")      # raises RuleFileError
    problems = check_rules("rules/everlinks.yml")      # list[Problem], errors and warnings

Positions come from PyYAML's node marks, so every problem reads
``FILE:LINE:COL: message``; a PromQL parse error is mapped to the line and column
of the offending character inside the ``expr`` value.

Accepted fields (anything else is an error, as Prometheus's strict YAML decoding):
``groups[].{name, interval, limit, query_offset, rules}`` and
``rules[].{record, alert, expr, for, keep_firing_for, labels, annotations}``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from monitor.promql.errors import ParseError
from monitor.promql.lexer import parse_duration_ms
from monitor.promql.parser import parse_expr
from monitor.promql.plan import QueryPlan
from monitor.rules import template
from monitor.rules.models import (
    AlertingRule,
    Position,
    Problem,
    RecordingRule,
    Rule,
    RuleFile,
    RuleGroup,
)

__all__ = ["RuleFileError", "check_rules", "load_rules", "parse_rules", "parse_prom_duration"]

_GROUP_FIELDS = ("name", "interval", "limit", "query_offset", "rules")
_RULE_FIELDS = ("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class RuleFileError(Exception):
    """A rule file has errors; ``problems`` lists them (``str`` gives one per line)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def parse_prom_duration(text: str) -> float:
    """Seconds in a Prometheus duration (``"0"`` allowed); ``ValueError`` like Prometheus."""
    if text == "0":
        return 0.0
    ms = parse_duration_ms(text)
    if ms is None:
        raise ValueError(f'not a valid duration string: "{text}"')
    return ms / 1000


def _pos(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Checker:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = text.splitlines()
        self.problems: list[Problem] = []

    def error(self, node: Node | None, message: str, at: Position | None = None) -> None:
        self.problems.append(Problem(self.path, message, at or (_pos(node) if node else None)))

    def mapping(self, node: Node, fields: tuple[str, ...], what: str) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.error(node, f"expected a mapping for {what}, got {_kind(node)}")
            return {}
        out: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else "?"
            if name not in fields:
                self.error(key, f"field {name} not found in {what} (expected one of: "
                                f"{', '.join(fields)})")
            elif name in out:
                self.error(key, f'mapping key "{name}" already defined')
            else:
                out[name] = value
        return out

    def scalar(self, node: Node | None, what: str) -> str | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            self.error(node, f"{what}: expected a string, got {_kind(node)}")
            return None
        return str(node.value)

    def duration(self, node: Node | None, what: str) -> float | None:
        text = self.scalar(node, what)
        if text is None:
            return None
        try:
            return parse_prom_duration(text)
        except ValueError as exc:
            self.error(node, f"{what}: {exc}")
            return None

    def string_map(self, node: Node | None, what: str) -> dict[str, tuple[str, Node]]:
        if node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null")):
            return {}
        if not isinstance(node, MappingNode):
            self.error(node, f"{what}: expected a mapping of names to strings, got {_kind(node)}")
            return {}
        out: dict[str, tuple[str, Node]] = {}
        for key, value in node.value:
            name = self.scalar(key, what)
            text = self.scalar(value, f"{what} {name}")
            if name is not None and text is not None:
                if name in out:
                    self.error(key, f'mapping key "{name}" already defined')
                out[name] = (text, value)
        return out

    def expr_position(self, node: ScalarNode, err: ParseError) -> Position:
        """Where in the file the parser's ``line:col`` inside the expression is."""
        start = node.start_mark
        if node.style in ("|", ">"):
            first = start.line + 1
            while first < len(self.lines) and not self.lines[first].strip():
                first += 1
            if first >= len(self.lines):
                return _pos(node)
            line_no = first + err.line - 1
            indent = len(self.lines[first]) - len(self.lines[first].lstrip(" "))
            if node.style == ">" and err.line > 1:
                return _pos(node)
            return Position(line_no + 1, indent + err.column)
        if err.line == 1:
            quote = 1 if node.style in ("'", '"') else 0
            return Position(start.line + 1, start.column + 1 + quote + err.column - 1)
        return _pos(node)

    def check_template(self, text: str, node: Node, what: str, rule_ctx: str, alert: str) -> None:
        try:
            tmpl = template.parse(text, f"__alert_{alert}")
            tmpl.execute({"Labels": {}, "ExternalLabels": {}, "ExternalURL": "", "Value": 0.0})
        except template.TemplateError as exc:
            if not _runtime_only(str(exc)):
                self.error(node, f"{rule_ctx}: {what}: error parsing template: {exc}")

    def rule(self, node: Node, group: str, index: int) -> Rule | None:
        fields = self.mapping(node, _RULE_FIELDS, "rule")
        if not fields:
            return None
        record = self.scalar(fields.get("record"), "record")
        alert = self.scalar(fields.get("alert"), "alert")
        name = alert or record or ""
        ctx = f'group "{group}", rule {index}, "{name}"'
        anchor = fields.get("record") or fields.get("alert") or node
        before = len(self.problems)
        if record and alert:
            self.error(anchor, f"{ctx}: only one of 'record' and 'alert' must be set")
        elif not record and not alert:
            self.error(anchor, f"{ctx}: one of 'record' or 'alert' must be set")
        expr_node = fields.get("expr")
        expr = self.scalar(expr_node, "expr")
        parsed = None
        if not expr or not expr.strip():
            self.error(expr_node or node, f"{ctx}: field 'expr' must be set in rule")
        else:
            try:
                parsed = parse_expr(expr)
            except ParseError as err:
                assert isinstance(expr_node, ScalarNode)
                self.error(expr_node, f"{ctx}: could not parse expression: {err}",
                           self.expr_position(expr_node, err))
        labels = self.string_map(fields.get("labels"), "labels")
        annotations = self.string_map(fields.get("annotations"), "annotations")
        for_s = self.duration(fields.get("for"), f"{ctx}: for")
        keep_s = self.duration(fields.get("keep_firing_for"), f"{ctx}: keep_firing_for")
        if record:
            for key in ("annotations", "for", "keep_firing_for"):
                if key in fields:
                    self.error(fields[key], f"{ctx}: invalid field '{key}' in recording rule")
            if not _METRIC_NAME.match(record):
                self.error(anchor, f"{ctx}: invalid recording rule name: {record}")
        for key, (_, vnode) in labels.items():
            if not _LABEL_NAME.match(key) or key == "__name__":
                self.error(vnode, f"{ctx}: invalid label name: {key}")
        for key, (_, vnode) in annotations.items():
            if not _LABEL_NAME.match(key):
                self.error(vnode, f"{ctx}: invalid annotation name: {key}")
        if alert:
            for key, (value, vnode) in labels.items():
                self.check_template(value, vnode, f'label "{key}"', ctx, alert)
            for key, (value, vnode) in annotations.items():
                self.check_template(value, vnode, f'annotation "{key}"', ctx, alert)
        if len(self.problems) > before or parsed is None or not expr:
            return None
        position = _pos(anchor)
        plan = QueryPlan(parsed, expr)
        if record:
            return RecordingRule(record, expr, plan, {k: v for k, (v, _) in labels.items()},
                                 position)
        assert alert
        return AlertingRule(alert, expr, plan, for_s or 0.0, keep_s or 0.0,
                            {k: v for k, (v, _) in labels.items()},
                            {k: v for k, (v, _) in annotations.items()}, position)

    def file(self, root: Node | None) -> list[RuleGroup]:
        if root is None:
            return []
        top = self.mapping(root, ("groups",), "rule file")
        groups_node = top.get("groups")
        if groups_node is None or (isinstance(groups_node, ScalarNode)
                                   and groups_node.tag.endswith(":null")):
            return []
        if not isinstance(groups_node, SequenceNode):
            self.error(groups_node, f"groups: expected a list, got {_kind(groups_node)}")
            return []
        groups: list[RuleGroup] = []
        seen: set[str] = set()
        for gnode in groups_node.value:
            fields = self.mapping(gnode, _GROUP_FIELDS, "rule group")
            if not isinstance(gnode, MappingNode):
                continue
            name = self.scalar(fields.get("name"), "name") or ""
            if not name:
                self.error(gnode, "Groupname must not be empty")
            elif name in seen:
                self.error(fields["name"], f'groupname: "{name}" is repeated in the same file')
            seen.add(name)
            interval = self.duration(fields.get("interval"), f'group "{name}": interval')
            offset = self.duration(fields.get("query_offset"), f'group "{name}": query_offset')
            limit = 0
            limit_text = self.scalar(fields.get("limit"), "limit")
            if limit_text is not None:
                if re.fullmatch(r"[0-9]+", limit_text):
                    limit = int(limit_text)
                else:
                    self.error(fields["limit"], f'group "{name}": limit: expected a whole number '
                                                f"of series/alerts (0 = no limit), got {limit_text!r}")
            rules: list[Rule] = []
            rules_node = fields.get("rules")
            if isinstance(rules_node, SequenceNode):
                for i, rnode in enumerate(rules_node.value, start=1):
                    rule = self.rule(rnode, name, i)
                    if rule is not None:
                        rules.append(rule)
            elif rules_node is not None and not (isinstance(rules_node, ScalarNode)
                                                 and rules_node.tag.endswith(":null")):
                self.error(rules_node, f"rules: expected a list, got {_kind(rules_node)}")
            groups.append(RuleGroup(name, rules, interval if interval else None, limit,
                                    offset or 0.0, self.path))
        self.duplicates(groups)
        return groups

    def duplicates(self, groups: list[RuleGroup]) -> None:
        """promtool's lint: the same metric name and labels defined twice in one file."""
        seen: dict[tuple[str, tuple[tuple[str, str], ...]], Rule] = {}
        for group in groups:
            for rule in group.rules:
                key = (rule.name, tuple(sorted(rule.labels.items())))
                if key in seen:
                    labels = ", ".join(f'{k}="{v}"' for k, v in key[1])
                    first = seen[key].position
                    self.problems.append(Problem(
                        self.path, f"duplicate rule: {rule.name}{{{labels}}} is also defined at "
                                   f"line {first.line if first else '?'}"
                                   "; might cause inconsistency while recording expressions",
                        rule.position, warning=True))
                else:
                    seen[key] = rule


def _runtime_only(message: str) -> bool:
    return "error calling" in message


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"{node.value!r}"


def parse_rules(text: str, path: str = "<rules>") -> tuple[RuleFile, list[Problem]]:
    """Parse rule-file text; returns the rules that are valid and every problem found."""
    checker = _Checker(path, text)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = Position(mark.line + 1, mark.column + 1) if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        return RuleFile(path, []), [Problem(path, f"invalid YAML: {problem}", at)]
    groups = checker.file(root)
    problems = sorted(checker.problems, key=lambda p: (p.position.line, p.position.column)
                      if p.position else (0, 0))
    return RuleFile(path, groups), problems


def check_rules(path: str | Path) -> list[Problem]:
    """Every problem in the file at ``path`` (errors and lint warnings)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(str(path), f"cannot read rule file: {exc}")]
    return parse_rules(text, str(path))[1]


def load_rules(path: str | Path) -> RuleFile:
    """The rules in ``path``; raises :class:`RuleFileError` when it has any error."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError([Problem(str(path), f"cannot read rule file: {exc}")]) from None
    rule_file, problems = parse_rules(text, str(path))
    errors = [p for p in problems if not p.warning]
    if errors:
        raise RuleFileError(errors)
    return rule_file
