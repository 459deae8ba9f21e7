"""What sections of the config require of each other, checked once every section is valid.

Each section validates itself (``Section`` models); a rule that spans sections lives here,
so no section imports another's and ``Settings`` imports none of these rules. The loader
reports each problem at the line of the key to change; ``monitor.wiring.assemble`` refuses
the same settings when they come from code.
"""

from __future__ import annotations

from monitor.config.schema import Settings

__all__ = ["problems"]


def problems(settings: Settings) -> list[tuple[tuple[str, ...], str]]:
    """What the config lacks to run as it says, as ``(key path, message)``; empty when it
    can run. Today: ``[cluster] mode = "replicas"`` needs the signals and rules outside
    Candor (each replica would hold only the samples sent to it) and a shared database."""
    if settings.cluster.mode != "replicas":
        return []
    found: list[tuple[tuple[str, ...], str]] = []
    if settings.engine.mode != "prometheus":
        found.append((("engine", "mode"), (
            'cluster.mode = "replicas" cannot run the embedded engine: each replica would hold '
            'only the samples sent to it. Set [engine] mode = "prometheus" and prometheus_url = '
            '"http://prometheus:9090", load the rules into Prometheus (`candor rules export`) and '
            "start it with --web.enable-remote-write-receiver")))
    if settings.storage.database_url is None:
        found.append((("storage", "database_url"), (
            'cluster.mode = "replicas" needs one PostgreSQL that every replica shares; set '
            '[storage] database_url = "env:CANDOR_DATABASE_URL" (a postgresql:// URL)')))
    return found
