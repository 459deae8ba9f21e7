"""Service-level objectives: ``[[slo]]`` config (``monitor.config.slo``) turned into recording
rules and multiwindow, multi-burn-rate alerts (:mod:`.rules`).

    from monitor.slo import generate, render
    groups = generate(settings.slo)   # rule-file groups; monitor.rules.manager.slo_groups parses them
"""

from monitor.config.slo import SLI, SLO
from monitor.slo.rules import generate, render

__all__ = ["SLI", "SLO", "generate", "render"]
