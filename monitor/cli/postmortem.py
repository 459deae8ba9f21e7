"""``candor postmortem …`` and ``candor digest`` (mounted in ``monitor.cli.main``).

Write a postmortem from the shell, section by section, with your own editor::

    candor postmortem create INC-7                       # a draft, prefilled from the events
    candor postmortem show INC-7                         # what is written, what is missing
    candor postmortem edit INC-7 --section fault --file fault.md
    candor postmortem edit INC-7 --section root_causes --editor
    candor postmortem review INC-7 submit                # then approve, publish
    candor postmortem item add INC-7 "Validate config per region" --type prevent \
        --owner @ana --due 2026-04-01
    candor postmortem item update INC-7 3 --status done
    candor postmortem render INC-7 --format pdf -o INC-7.pdf

Sections holding lists (root_causes, went_well, …) take one item per line ("- " allowed);
five_whys takes "Q: …" and "A: …" lines, in pairs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from monitor.cli.common import ActorOpt, ConfigOpt, JsonOpt, actor, runtime_from
from monitor.cli.output import emit, fail, out, reported, table, when
from monitor.incidents import service as incidents
from monitor.textlint import word_count
from postmortem import report, service, signal
from postmortem.digest import load_digest
from postmortem.lint import lint
from postmortem.models import (
    NARRATIVE,
    ActionItemCreate,
    ActionItemPublic,
    ActionItemUpdate,
    Content,
    ContentPatch,
    Why,
)
from postmortem.render import render

app = typer.Typer(no_args_is_help=True, help="Postmortem reports.", rich_markup_mode=None)
items_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="Action items: preventive and corrective work, tracked to done.")
app.add_typer(items_app, name="item")
Key = Annotated[str, typer.Argument(help="incident key, e.g. INC-42")]
SECTIONS = tuple(Content.model_fields)
LISTS = tuple(n for n in SECTIONS if n not in NARRATIVE and n != "five_whys")


class Format(StrEnum):
    md = "md"
    html = "html"
    pdf = "pdf"


class DigestFormat(StrEnum):
    json = "json"
    md = "md"
    html = "html"
    pdf = "pdf"


class Lang(StrEnum):
    en = "en"
    pt_BR = "pt-BR"


class Period(StrEnum):
    week = "week"
    month = "month"
    quarter = "quarter"


Output = Annotated[Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")]
LangOpt = Annotated[Lang | None, typer.Option("--lang", help="pt-BR or en (default: postmortem.default_lang)")]


def _write(data: str | bytes, output: Path | None) -> None:
    raw = data if isinstance(data, bytes) else data.encode()
    if output is None:
        if isinstance(data, bytes) and sys.stdout.isatty():
            fail("PDF is binary: write it to a file with -o FILE.pdf")
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
        return
    if not output.parent.is_dir():
        fail(f"-o {output}: the directory {output.parent} does not exist; create it first")
    output.write_bytes(raw)
    out.print(f"wrote {output} ({len(raw)} bytes)")


@app.command("render")
def render_command(
    key: Annotated[str, typer.Argument(help="incident key, e.g. INC-42")],
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.md,
    lang: LangOpt = None,
    output: Output = None,
    version: Annotated[int | None, typer.Option(min=1, help="a published version")] = None,
    config_path: ConfigOpt = None,
) -> None:
    """Render an incident's postmortem to Markdown, HTML or PDF."""
    runtime = runtime_from(config_path)
    section = runtime.settings.postmortem
    with reported():
        with runtime.unit() as s:
            source = signal.from_settings(runtime.settings)
            try:
                doc = report.load(s, key, now=runtime.clock.now(), version=version, source=source)
            finally:
                source.close()
        data = render(doc, format.value, (lang.value if lang else section.default_lang),
                      templates_dir=section.templates_dir, pdf_timeline_limit=section.pdf_timeline_limit)
    _write(data, output)


@app.command("draft-due")
def draft_due(config_path: ConfigOpt = None) -> None:
    """Draft a postmortem for every resolved incident whose severity needs one."""
    runtime = runtime_from(config_path)
    with reported(), runtime.unit() as s:
        keys = service.draft_due(s, clock=runtime.clock, settings=runtime.settings)
    out.print(f"drafted: {', '.join(keys)}" if keys else "nothing to draft")


def digest(
    period: Annotated[Period, typer.Option("--period", "-p")] = Period.week,
    format: Annotated[DigestFormat, typer.Option("--format", "-f")] = DigestFormat.md,
    lang: LangOpt = None,
    output: Output = None,
    config_path: ConfigOpt = None,
) -> None:
    """Leadership digest: incidents, response times and trends, action items."""
    runtime = runtime_from(config_path)
    section = runtime.settings.postmortem
    with reported():
        with runtime.unit() as s:
            signals = signal.queryable(runtime.settings) if runtime.settings.slo else None
            result = load_digest(s, period.value, runtime.clock.now(), settings=runtime.settings,
                                 signals=signals)
        if format is DigestFormat.json:
            data: str | bytes = json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
        else:
            data = render(result, format.value, lang.value if lang else section.default_lang,
                          template="digest", templates_dir=section.templates_dir)
    _write(data, output)


# ---- writing a postmortem -------------------------------------------------------------------


def _written(value: Any) -> str:
    """A section as people edit it in a file."""
    if isinstance(value, str):
        return value
    if value and isinstance(value[0], dict):  # five_whys
        return "".join(f"Q: {w['question']}\nA: {w['answer']}\n\n" for w in value)
    return "".join(f"- {item}\n" for item in value)


def parse_section(name: str, text: str) -> Any:
    """A section's value from what was written: text as it is; a list one item per line
    (a leading "- ", "* " or "1." is dropped); five_whys from "Q:"/"A:" line pairs.
    ``ValueError`` says which line is wrong."""
    if name in NARRATIVE:
        return text.strip()
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if name != "five_whys":
        return [re.sub(r"^(?:[-*•]|\d+[.)])\s+", "", line) for _, line in lines]
    whys: list[Why] = []
    question: str | None = None
    for n, line in lines:
        head, _, rest = line.partition(":")
        if head.strip().upper() in ("Q", "P") and question is None:
            question = rest.strip()
        elif head.strip().upper() in ("A", "R") and question is not None:
            whys.append(Why(question=question, answer=rest.strip()))
            question = None
        else:
            wanted = "a 'Q: question' line" if question is None else "an 'A: answer' line"
            raise ValueError(f"line {n}: expected {wanted}, got {line[:60]!r}")
    if question is not None:
        raise ValueError(f"the last question ({question[:60]!r}) has no 'A: answer' line")
    return whys


def _from_editor(current: str, name: str) -> str:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        fail("--editor: set $EDITOR (or $VISUAL), e.g. export EDITOR=nano; or give --file")
    with tempfile.TemporaryDirectory(prefix="candor-edit-") as tmp:
        path = Path(tmp) / f"{name}.md"
        path.write_text(current, encoding="utf-8")
        try:
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as exc:
            fail(f"--editor: could not start {editor!r}: {exc}")
        if done.returncode != 0:
            fail(f"--editor: {editor!r} exited with {done.returncode}; nothing was saved")
        return path.read_text(encoding="utf-8")


@app.command("create")
def create(key: Key, config_path: ConfigOpt = None, who: ActorOpt = None) -> None:
    """Start a postmortem now (any state, any severity), prefilled from the events in
    [postmortem] default_lang."""
    runtime = runtime_from(config_path)
    with reported(), runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        pm = service.create(s, incident, actor=actor(who), clock=runtime.clock,
                            lang=runtime.settings.postmortem.default_lang)
        empty = [n for n in NARRATIVE if not pm.content.get(n)]
    out.print(f"{key}: postmortem drafted; still to write: {', '.join(empty) or 'nothing'}\n"
              f"write a section: candor postmortem edit {key} --section NAME --file F (or --editor)")


@app.command("show")
def show(key: Key, config_path: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """What is written, what is missing, what the blameless lint says, and the next step."""
    runtime = runtime_from(config_path)
    with reported(), runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        pm = service.get_or_raise(s, incident)
        approvals = service.approvals(s, pm)
        findings = lint(pm.content)
        items = service.items(s, incident)
    data = {"incident": key, "status": pm.status, "version": pm.version, "approvals": approvals,
            "content": pm.content, "findings": [f.__dict__ for f in findings],
            "action_items": len(items)}
    nexts = {"draft": f"candor postmortem review {key} submit",
             "in_review": f"candor postmortem review {key} approve (or request-changes)",
             "reviewed": f"candor postmortem review {key} publish",
             "published": f"candor postmortem render {key} --format pdf -o {key}.pdf"}

    def human() -> None:
        out.print(f"{key} postmortem: {pm.status}, version {pm.version}; approvals: "
                  f"{', '.join(approvals) or 'none'}; action items: {len(items)}")
        rows = []
        for name in SECTIONS:
            value = pm.content.get(name)
            if isinstance(value, str):
                state = f"{word_count(value)} words" if value.strip() else "empty"
            else:
                state = f"{len(value or [])} items" if value else "empty"
            rows.append([name, state])
        table("Sections", ["section", "written"], rows, whole=("section",))
        for f in findings:
            out.print(f"{f.severity}: {f.section}: {f.reason}"
                      + (f" ({f.excerpt!r})" if f.excerpt else "")
                      + (f" — {f.suggestion}" if f.suggestion else ""))
        out.print(f"next: {nexts.get(pm.status, '')}")

    emit(data, as_json, human)


@app.command("edit")
def edit(
    key: Key,
    section: Annotated[str, typer.Option(help="the section to write, e.g. fault, root_causes")],
    file: Annotated[Path | None, typer.Option(
        "--file", "-f", help="read the section from this file (- for stdin)")] = None,
    editor: Annotated[bool, typer.Option(
        "--editor", help="write it in $EDITOR, starting from what is there")] = False,
    text: Annotated[str | None, typer.Option(help="the section's text, inline")] = None,
    config_path: ConfigOpt = None,
    who: ActorOpt = None,
) -> None:
    """Write one section of a postmortem (a published one gets a new version)."""
    if section not in SECTIONS:
        fail(f"--section {section!r}: expected one of {', '.join(SECTIONS)}")
    if sum(x is not None and x is not False for x in (file, editor or None, text)) != 1:
        fail("give exactly one of --file F, --editor or --text T")
    runtime = runtime_from(config_path)
    with reported(), runtime.unit() as s:
        pm = service.get_or_raise(s, incidents.get_by_key_or_raise(s, key))
        current = _written(pm.content.get(section, ""))
    if file is not None:
        try:
            raw = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"--file {file}: cannot read it ({exc})")
    elif editor:
        raw = _from_editor(current, section)
        if raw == current:
            out.print(f"{key}: {section} unchanged; nothing saved")
            return
    else:
        raw = str(text)
    try:
        patch = ContentPatch.model_validate({section: parse_section(section, raw)})
    except ValueError as exc:  # ValidationError is one too
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        fail(f"{file or section}: {detail}")
    with reported(), runtime.unit() as s:
        pm = service.get_or_raise(s, incidents.get_by_key_or_raise(s, key))
        pm = service.edit(s, pm, patch, actor=actor(who), clock=runtime.clock)
        status, version = pm.status, pm.version
    value = patch.model_dump(exclude_none=True)[section]
    size = f"{word_count(value)} words" if isinstance(value, str) else f"{len(value)} items"
    out.print(f"{key}: {section} saved ({size}); postmortem {status}"
              + (f", now version {version}" if status == "published" else ""))


class ReviewAction(StrEnum):
    submit = "submit"
    approve = "approve"
    request_changes = "request-changes"
    publish = "publish"


@app.command("review")
def review(
    key: Key,
    action: Annotated[ReviewAction, typer.Argument(help="submit, approve, request-changes or publish")],
    comment: Annotated[str, typer.Option(help="why (recorded)")] = "",
    config_path: ConfigOpt = None,
    who: ActorOpt = None,
) -> None:
    """Move a postmortem through review: draft → in review → reviewed → published."""
    runtime = runtime_from(config_path)
    with reported(), runtime.unit() as s:
        pm = service.get_or_raise(s, incidents.get_by_key_or_raise(s, key))
        pm = service.review(s, pm, action.value.replace("-", "_"), actor=actor(who),
                            clock=runtime.clock, settings=runtime.settings, comment=comment)
        approvals = service.approvals(s, pm)
    out.print(f"{key}: postmortem {pm.status}" + (f" (approved by {', '.join(approvals)})"
                                                  if approvals else ""))


# ---- action items ------------------------------------------------------------------------


def _item_rows(rows: list[ActionItemPublic]) -> list[list[Any]]:
    return [[i.id, i.title, i.type, i.owner, i.priority, f"{i.due}" + (" (overdue)" if i.overdue else ""),
             i.status] for i in rows]


@items_app.command("list")
def items_list(key: Key, config_path: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """An incident's action items, with the ones overdue marked."""
    runtime = runtime_from(config_path)
    with reported(), runtime.unit() as s:
        today = runtime.clock.now().date()
        rows = []
        for item in service.items(s, incidents.get_by_key_or_raise(s, key)):
            public = ActionItemPublic.model_validate(item)
            public.overdue = service.is_overdue(item, today)
            rows.append(public)
    emit(rows, as_json, lambda: table(
        f"{key} action items", ["id", "title", "type", "owner", "priority", "due", "status"],
        _item_rows(rows), whole=("id", "due"),
        empty=f"{key} has no action items yet; add one with candor postmortem item add {key} …"))


_TYPED_AS = {"ticket_url": "--ticket", "title": "TITLE"}
"""Fields of the action-item models typed under another name on the command line."""


def _checked(model: Any, values: dict[str, Any]) -> Any:
    try:
        return model.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        where = _TYPED_AS.get(field, "--" + field.replace("_", "-")) if field else "the item"
        fail(f"{where}: {first['msg']}")


@items_app.command("add")
def items_add(
    key: Key,
    title: Annotated[str, typer.Argument(help="what will be done")],
    type: Annotated[str, typer.Option(help="prevent, mitigate, detect, process, repair or investigate")],
    owner: Annotated[str, typer.Option(help="@handle, an e-mail address or team:name")],
    due: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    priority: Annotated[str, typer.Option(help="P1, P2 or P3")] = "P2",
    team: Annotated[str, typer.Option(help="team, for the digest")] = "",
    ticket: Annotated[str, typer.Option(help="ticket URL")] = "",
    config_path: ConfigOpt = None,
) -> None:
    """Add a preventive or corrective action item."""
    body = _checked(ActionItemCreate, {"title": title, "type": type, "owner": owner, "due": due,
                                       "priority": priority, "team": team, "ticket_url": ticket})
    runtime = runtime_from(config_path)
    with reported(), runtime.unit() as s:
        item = service.add_item(s, incidents.get_by_key_or_raise(s, key), body, clock=runtime.clock)
        item_id = item.id
    out.print(f"{key}: action item {item_id} added ({body.type}, {body.owner}, due {body.due})")


@items_app.command("update")
def items_update(
    key: Key,
    item_id: Annotated[int, typer.Argument(help="the item's id (candor postmortem item list)")],
    status: Annotated[str | None, typer.Option(help="open, in_progress, done or wont_do")] = None,
    reason: Annotated[str | None, typer.Option(help="why (needed for wont_do)")] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    due: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    priority: Annotated[str | None, typer.Option()] = None,
    ticket: Annotated[str | None, typer.Option(help="ticket URL")] = None,
    config_path: ConfigOpt = None,
) -> None:
    """Change an action item: its status, owner, due date, priority or ticket."""
    body = _checked(ActionItemUpdate, {"status": status, "reason": reason, "owner": owner,
                                       "due": due, "priority": priority, "ticket_url": ticket})
    runtime = runtime_from(config_path)
    with reported(), runtime.unit() as s:
        item = service.item_or_raise(s, incidents.get_by_key_or_raise(s, key), item_id)
        item = service.update_item(s, item, body, clock=runtime.clock)
        state, closed = item.status, item.closed_at
    out.print(f"{key}: action item {item_id} is {state}"
              + (f" (closed {when(closed)})" if closed else ""))
