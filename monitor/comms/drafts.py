"""Texts people send by hand, drafted from the latest public notice (never sent by Candor).

* ``press_release(...)`` — Markdown for the widest impact (channel ``press``), marked
  as a draft that needs approval (guide step 5b); ``press_release_pdf(...)`` is the same
  text as a printable PDF (WeasyPrint, imported only when a PDF is asked for);
* ``support_reply(...)`` — a ready answer for the support desk (guide step 8).

Both use only the public version dict (``monitor.comms.status.public_version``), so they
can never contain internal notes or names.
"""

from __future__ import annotations

from typing import Any

from monitor.comms.render import page


def press_release(version: dict[str, Any], *, status_url: str, city: str = "São Paulo") -> str:
    return page("press_release.md.j2", lang=version["lang"], v=version, status_url=status_url,
                city=city).strip() + "\n"


def press_release_pdf(version: dict[str, Any], *, status_url: str, city: str = "São Paulo"
                      ) -> bytes:
    html = page("press_release.html.j2", lang=version["lang"], v=version, status_url=status_url,
                city=city)
    from weasyprint import HTML  # heavy import; only a PDF needs it

    return HTML(string=html).write_pdf()


def support_reply(version: dict[str, Any], *, status_url: str) -> str:
    text = page("support_reply.txt.j2", lang=version["lang"], v=version, status_url=status_url)
    return text.strip() + "\n"
