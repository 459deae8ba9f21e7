"""Jinja2 rendering for notices and the status page: sandboxed, autoescaped, strict.

HTML and Atom templates are autoescaped, so whatever a person typed into a
notice is shown as text, never as markup. The plain-text notice template
(``*.txt.j2``) is not escaped: its output goes into webhooks and e-mail bodies
as text. Undefined names are errors, not empty strings.

``check_templates()`` compiles every template and raises ``ConfigError`` naming
the file and line of the first syntax error; run it at startup.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateSyntaxError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from monitor.comms.status import bare_title
from monitor.errors import ConfigError
from monitor.i18n import labels, when
from monitor.i18n.public import Public

TEMPLATES = Path(__file__).parent / "templates"


def make_environment(directory: Path = TEMPLATES) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(directory)),
        autoescape=select_autoescape(
            enabled_extensions=("html", "xml", "atom", "html.j2", "atom.j2"),
            disabled_extensions=("txt.j2",),  # Markdown (md.j2) stays escaped: safe if rendered
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=4)
def environment(directory: Path = TEMPLATES) -> SandboxedEnvironment:
    return make_environment(directory)


def check_templates(directory: Path = TEMPLATES) -> list[str]:
    """Compile every template; ``ConfigError`` with ``file:line: message`` on the first bad one."""
    env = make_environment(directory)
    names = sorted(p.name for p in directory.glob("*.j2"))
    for name in names:
        try:
            env.get_template(name)
        except TemplateSyntaxError as exc:
            where = f"{directory / name}:{exc.lineno}"
            raise ConfigError(
                f"template {name} does not compile", lines=[f"{where}: {exc.message}"]
            ) from None
    return names


def notice_text(content: dict[str, Any], *, kind: str, lang: str, published_at: datetime) -> str:
    """The plain-text form of one notice version (stored with it, sent in notifications)."""
    values = dict(content)
    values["next_update_at"] = when(values.get("next_update_at"), lang)
    values["title"] = bare_title(str(values.get("title", "")))
    text = environment().get_template("notice.txt.j2").render(
        c=values, kind=kind, L=labels(Public, lang), published_at=when(published_at, lang),
    )
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"


def page(name: str, **context: Any) -> str:
    lang = context["lang"]
    return environment().get_template(name).render(L=labels(Public, lang), **context)
