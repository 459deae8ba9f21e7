"""Prometheus rule files for Candor's embedded engine: load and check them
(``loader``), evaluate groups (``evaluate``), run promtool unit tests (``unittest``),
schedule evaluation and feed the alert intake (``manager``), the ``[engine]`` config
section (``config``) and the ``candor rules`` / ``candor promql`` commands (``cli``).

Kept import-free: ``monitor.config.schema`` imports ``monitor.rules.config``.
"""
