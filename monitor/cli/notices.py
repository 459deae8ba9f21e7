"""``candor notice …``: lint a notice file before anyone publishes it, or publish it.

A notice file is either

* TOML::

      lang = "en"                      # or "pt-BR"
      kind = "initial"                 # initial | update | correction | retraction
      [content]
      title = "Short links are not opening"
      what_happened = "Since 09:00 UTC many short links show an error page."
      who_is_affected = "Everyone who opens a short link."
      what_we_are_doing = "We are undoing the change that caused it."
      what_users_should_do = "Nothing. Your links are safe."
      next_update_at = 2026-03-02T10:00:00Z         # a TOML date-time, UTC
      corrective_actions = ["…"]                    # optional, on a closing update
      # a correction: what_was_wrong, what_is_right; a retraction: retraction_reason

  (``expect`` and ``block`` keys are allowed for test corpora and ignored here); or
* plain text (``.txt``/``.md``): linted as one piece of text; the language
  comes from ``--lang`` or a name like ``notice.pt-BR.txt``.

Exit status of ``lint``: 0 publishable (warnings are printed), 1 at least one
blocking finding (an admin can still publish with ``--override-reason``, which is
recorded), 2 the file or an option is wrong (a usage error, as everywhere in the CLI).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from monitor.cli.common import ActorOpt, runtime_from, settings_from
from monitor.cli.common import actor as actor_name
from monitor.comms import service
from monitor.comms.linter import NoticeFinding, lint_content, lint_text
from monitor.comms.models import LANGS, Content, Kind
from monitor.config.comms import LinterConfig
from monitor.errors import CandorError
from monitor.incidents import service as incidents
from monitor.textlint import Finding

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False, help="Public notices.")



@app.callback()
def notice() -> None:
    """Public notices: lint them before publishing."""


_TOP_KEYS = {"lang", "kind", "content", "expect", "block"}


class NoticeFileError(ValueError):
    """The file cannot be linted; the message says why and how to fix it."""


def load_notice_file(path: Path, lang: str | None = None) -> tuple[str, Kind | None, Any]:
    """``(lang, kind, Content)`` for TOML files, ``(lang, None, text)`` for plain text."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NoticeFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise NoticeFileError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise NoticeFileError(f"{path}: not valid TOML: {exc}") from None
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise NoticeFileError(f"{path}: unknown keys {unknown}; expected lang, kind, [content]")
        chosen = lang or data.get("lang")
        if chosen not in LANGS:
            raise NoticeFileError(f"{path}: lang {chosen!r} is not one of {', '.join(LANGS)}; "
                                  "set lang = \"pt-BR\" or \"en\" in the file or pass --lang")
        try:
            kind = Kind(data.get("kind", "initial"))
        except ValueError:
            raise NoticeFileError(f"{path}: kind {data.get('kind')!r} is not one of "
                                  f"{', '.join(Kind)}") from None
        try:
            content = Content.model_validate(data.get("content", {}))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise NoticeFileError(f"{path}: content.{where}: {first['msg']}") from None
        return chosen, kind, content
    if lang is None:
        for candidate in LANGS:
            if path.name.endswith(f".{candidate}{path.suffix}"):
                lang = candidate
    if lang not in LANGS:
        raise NoticeFileError(f"{path}: cannot tell the language; pass --lang pt-BR or --lang en "
                              "(or name the file like notice.pt-BR.txt)")
    return lang, None, raw


def lint_file(path: Path, lang: str | None = None,
              config: LinterConfig | None = None) -> list[NoticeFinding]:
    chosen, kind, body = load_notice_file(path, lang)
    if kind is None:
        return [NoticeFinding("text", f) for f in lint_text(body, chosen, config)]
    return lint_content(body, kind, chosen, config)


def _line(path: Path, found: NoticeFinding) -> str:
    f: Finding = found.finding
    tail = f" — try: {f.suggestion}" if f.suggestion else ""
    excerpt = f" {f.excerpt!r}" if f.excerpt else ""
    return f"{path}:{found.part}:{f.line}:{f.column}: {f.severity} [{f.rule}]{excerpt}: {f.reason}{tail}"


@app.command("lint")
def lint(
    file: Annotated[Path, typer.Argument(help="notice file: .toml with lang, kind and a "
                                              "content table, or .txt/.md text")],
    lang: Annotated[str | None, typer.Option(help="pt-BR or en (default: from the file)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="read [comms.linter] from this config (default: ./config.toml "
                               "if present)")] = None,
) -> None:
    """Check a notice before anyone publishes it: jargon, status codes, internal names,
    blame, hedging, leaked data, missing parts, an update promised without a time, hard
    sentences. Findings are in the notice's language.

    Exit 0: publishable (warnings are printed). Exit 1: blocking findings (an admin can still
    publish with --override-reason, which is recorded). Exit 2: the file or an option is wrong.
    """
    if lang is not None and lang not in LANGS:
        typer.echo(f"--lang {lang!r}: expected one of {', '.join(LANGS)}", err=True)
        raise typer.Exit(2)
    linter = settings_from(config).comms.linter if config or Path("config.toml").exists() else None
    try:
        findings = lint_file(file, lang, linter)
    except NoticeFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    errors = sum(1 for f in findings if f.severity == "error")
    if as_json:
        typer.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
    else:
        for found in findings:
            typer.echo(_line(file, found))
        warnings = len(findings) - errors
        verdict = (f"blocked: {errors} blocking finding(s); fix them, or an admin publishes with "
                   "--override-reason \"why\" (recorded)" if errors else "publishable")
        typer.echo(f"{file}: {verdict}; {warnings} warning(s)")
    raise typer.Exit(1 if errors else 0)


# ---- working on stored notices (the CLI talks to the store directly; it acts as an admin) ----

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="config file")]
Override = Annotated[str | None, typer.Option(
    "--override-reason", help="publish despite lint errors; the reason is recorded")]


def _content_from(path: Path, lang: str | None = None) -> tuple[str, Kind, Content]:
    chosen, kind, body = load_notice_file(path, lang)
    if kind is None:
        raise NoticeFileError(f"{path}: notices are published from a .toml file with a "
                              "[content] table (see `candor notice lint --help`)")
    return chosen, kind, body


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)


@app.command("publish")
def publish_file(
    key: Annotated[str, typer.Argument(help="incident key, e.g. INC-42")],
    file: Annotated[Path, typer.Argument(help="notice .toml file: lang, kind and a [content] table")],
    notice_id: Annotated[int | None, typer.Option(
        "--notice", help="add a version to this published notice (kind from the file: "
                         "update, correction or retraction)")] = None,
    affected_share: Annotated[float | None, typer.Option(
        "--affected-share", min=0.0, max=1.0,
        help="share of users affected, 0..1: wider impact adds channels ([comms.impact])")] = None,
    override_reason: Override = None,
    who: ActorOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Publish a new notice for an incident, or a new version of one (a single action).

    The file is the same as for `candor notice lint` (see `candor notice lint --help`). The
    notice is linted first; blocking findings stop it unless --override-reason is given
    (recorded on the version)."""
    try:
        lang, kind, content = _content_from(file)
    except NoticeFileError as exc:
        _fail(str(exc))
    actor = actor_name(who)
    runtime = runtime_from(config)
    try:
        with runtime.unit() as s:
            incident = incidents.get_by_key_or_raise(s, key)
            if notice_id is None:
                if kind is not Kind.INITIAL:
                    _fail(f"{file}: kind {kind} needs --notice ID (the notice it changes)")
                notice = service.draft(s, incident, lang=lang, content=content, actor=actor,
                                       clock=runtime.clock)
                version = service.publish(s, notice, actor=actor, is_admin=True,
                                          clock=runtime.clock, settings=runtime.settings,
                                          override_reason=override_reason,
                                          affected_share=affected_share)
            else:
                notice = service.get_or_raise(s, notice_id)
                if notice.incident_id != incident.id:
                    _fail(f"notice {notice_id} belongs to another incident, not {key}")
                version = service.publish_version(
                    s, notice, kind=kind, content=content, actor=actor, is_admin=True,
                    clock=runtime.clock, settings=runtime.settings,
                    override_reason=override_reason, affected_share=affected_share)
            typer.echo(f"published notice {notice.id} version {version.version} ({version.kind}, "
                       f"{version.lang}) to {', '.join(version.channels)}")
    except CandorError as exc:
        _fail(str(exc))
