"""Render reports with Jinja2 (sandboxed) to Markdown and HTML, and HTML to PDF with WeasyPrint.

Templates live in ``postmortem/templates``; a ``templates_dir`` from config is
searched first, so a user overrides ``postmortem.html.j2`` by dropping a file
of that name there. HTML is autoescaped; Markdown text passes through the
``md`` filter, which escapes HTML and table pipes. A broken template is an
``Unprocessable`` naming the template and line.

    html = render(report, "html", "pt-BR")
    pdf = render(report, "pdf", "en")          # bytes
"""

from __future__ import annotations

import re
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, overload

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import escape

from monitor.config.postmortem import LANGS
from monitor.errors import Unprocessable
from monitor.i18n import duration, labels, number
from monitor.i18n.reports import Reports, Words
from monitor.i18n.verdicts import ImpactWords
from monitor.verification.words import impact_figures
from postmortem.digest import Digest, charts_of
from postmortem.report import Report, draw_chart, for_print
from postmortem.sentences import describe

Format = Literal["md", "html", "pdf"]
FORMATS: tuple[str, ...] = ("md", "html", "pdf")


def _mdtext(value: Any) -> str:
    """Text safe in Markdown prose: HTML is escaped, so ``<script>`` shows as text."""
    return str(escape("" if value is None else value)).replace("\r", "")


def _md(value: Any) -> str:
    """Text safe in a Markdown table cell: escaped, no pipes, one line."""
    return _mdtext(value).replace("|", "\\|").replace("\n", "<br>")


@pass_context
def _dt(context: Context, value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A date or time as the reader writes it: ``2026-03-02`` in English, ``02/03/2026`` in
    Portuguese (the format's ``%Y-%m-%d`` is swapped; times stay ``%H:%M:%S``)."""
    if value is None:
        return "—"
    if context.get("lang") == "pt-BR":
        fmt = fmt.replace("%Y-%m-%d", "%d/%m/%Y")
    if isinstance(value, datetime):
        return value.strftime(fmt)
    return value.strftime("%d/%m/%Y" if context.get("lang") == "pt-BR" else "%Y-%m-%d")


def _pct(change: float | None) -> str:
    return "—" if change is None else f"{change * 100:+.0f}%"


def environment(templates_dir: str | Path = "") -> SandboxedEnvironment:
    loaders: list[Any] = []
    if templates_dir:
        path = Path(templates_dir)
        if not path.is_dir():
            raise Unprocessable(f"postmortem.templates_dir {str(path)!r} is not a directory; "
                                "create it or leave the key empty to use the built-in templates")
        loaders.append(FileSystemLoader(str(path)))
    loaders.append(PackageLoader("postmortem", "templates"))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=_md, mdtext=_mdtext, dt=_dt, dur=duration, num=number)
    env.globals.update(describe=describe, pct=_pct, impact_rows=impact_figures)
    return env


def _template_line(exc: BaseException) -> tuple[str, int | None]:
    for frame, line in reversed(list(traceback.walk_tb(exc.__traceback__))):
        name = frame.f_code.co_filename
        if name.endswith((".j2", ".html", ".md", ".css")) or "<template>" in name:
            return Path(name).name, line
    return "?", None


def render_template(name: str, context: dict[str, Any], *, templates_dir: str | Path = "") -> str:
    env = environment(templates_dir)
    try:
        return env.get_template(name).render(**context)
    except TemplateSyntaxError as exc:
        where = f"{Path(exc.filename or exc.name or name).name}, line {exc.lineno}"
        raise Unprocessable(f"template error in {where}: {exc.message}; fix the template "
                            "(or remove it from templates_dir to use the built-in one)",
                            extra={"template": exc.name or name, "line": exc.lineno}) from None
    except TemplateNotFound as exc:
        raise Unprocessable(f"template {exc.name!r} not found in {templates_dir or 'built-ins'}",
                            extra={"template": exc.name}) from None
    except TemplateError as exc:
        template, line = _template_line(exc)
        raise Unprocessable(f"template error in {template}, line {line}: {exc}; fix the template",
                            extra={"template": template, "line": line}) from None


def _check(fmt: str, lang: str) -> None:
    if fmt not in FORMATS:
        raise Unprocessable(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise Unprocessable(f"language {lang!r} is not one of {', '.join(LANGS)}")


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy import; only PDF needs it

    return HTML(string=html, base_url=".").write_pdf()


@overload
def render(report: Any, fmt: Literal["pdf"], lang: str, *, templates_dir: str | Path = "",
           template: str = "postmortem", pdf_timeline_limit: int = 0,
           cid: dict[str, str] | None = None) -> bytes: ...
@overload
def render(report: Any, fmt: Literal["md", "html"], lang: str, *, templates_dir: str | Path = "",
           template: str = "postmortem", pdf_timeline_limit: int = 0,
           cid: dict[str, str] | None = None) -> str: ...
@overload
def render(report: Any, fmt: str, lang: str, *, templates_dir: str | Path = "",
           template: str = "postmortem", pdf_timeline_limit: int = 0,
           cid: dict[str, str] | None = None) -> str | bytes: ...
def render(report: Any, fmt: str, lang: str, *, templates_dir: str | Path = "",
           template: str = "postmortem", pdf_timeline_limit: int = 0,
           cid: dict[str, str] | None = None) -> str | bytes:
    """``report`` (a ``Report`` or ``Digest``) as Markdown/HTML text or PDF bytes.

    ``pdf_timeline_limit`` caps the timeline entries in a PDF (key moments always
    stay; see ``report.for_print``); Markdown and HTML always carry every entry. ``cid``
    (chart name → Content-ID) makes a digest's HTML point at images attached to a mail
    instead of inlining SVG (mail readers do not show SVG).
    """
    _check(fmt, lang)
    if fmt == "pdf" and isinstance(report, Report):
        report = for_print(report, pdf_timeline_limit)
    context = {"r": report, "lang": lang, "L": labels(Reports, lang), "W": labels(Words, lang),
               "I": labels(ImpactWords, lang),
               "print": fmt == "pdf", "chart_svg": None, "charts": {}, "cid": cid}
    if fmt != "md" and isinstance(report, Report):
        context["chart_svg"] = draw_chart(report, lang)
    if fmt != "md" and isinstance(report, Digest):
        context["charts"] = cid or charts_of(report, lang)
    ext = "md" if fmt == "md" else "html"
    text = render_template(f"{template}.{ext}.j2", context, templates_dir=templates_dir)
    if fmt == "md":
        return re.sub(r"\n{3,}", "\n\n", text)
    return to_pdf(text) if fmt == "pdf" else text

