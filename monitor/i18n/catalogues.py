"""Every catalogue Candor has, in one list (the tests walk it; translators start here)."""

from __future__ import annotations

from monitor.i18n import Catalogue, Msg
from monitor.i18n.lint import JARGON, Lint
from monitor.i18n.public import Mail, Public
from monitor.i18n.reports import Charts, Drafts, Reports, Timeline, Words
from monitor.i18n.verdicts import ImpactWords, Verdicts

ALL: tuple[type[Catalogue], ...] = (Public, Mail, Lint, Reports, Words, Timeline, Drafts, Charts,
                                    Verdicts, ImpactWords)
HINTS: dict[str, Msg] = {f"jargon.{group.en[0]}": group.hint for group in JARGON}
"""The linter's advice per kind of technical term (``monitor.i18n.lint.JARGON``)."""
