"""Service-level objectives: ``[[slo]]`` config (``monitor.config.slo``) turned into recording
rules and multiwindow, multi-burn-rate alerts (:mod:`.rules`).

    from monitor.slo import generate, slo_groups
    groups = slo_groups(settings)     # RuleGroups the embedded engine runs and export writes
"""

from monitor.config.slo import SLI, SLO
from monitor.slo.rules import generate, render, slo_groups

__all__ = ["SLI", "SLO", "generate", "render", "slo_groups"]
