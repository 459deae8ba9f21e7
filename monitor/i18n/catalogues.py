"""Every catalogue Candor has, in one list (the tests walk it; translators start here)."""

from __future__ import annotations

from monitor.i18n import Catalogue
from monitor.i18n.public import Mail, Public
from monitor.i18n.reports import Charts, Drafts, Reports, Timeline, Words
from monitor.i18n.verdicts import ImpactWords, Verdicts

ALL: tuple[type[Catalogue], ...] = (Public, Mail, Reports, Words, Timeline, Drafts, Charts, Verdicts,
                                    ImpactWords)
