"""``candor postmortem …`` and ``candor digest`` (mounted in ``monitor.cli.main``)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import ConfigOpt, runtime_from
from monitor.cli.output import fail, out, reported
from postmortem import report, service, signal
from postmortem.digest import load_digest
from postmortem.render import render

app = typer.Typer(no_args_is_help=True, help="Postmortem reports.")


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
