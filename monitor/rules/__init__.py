"""Prometheus rule files for Candor's embedded engine: load and check them
(``loader``), evaluate groups (``evaluate``), run promtool unit tests (``ruletest``:
parse → simulate → compare → report), schedule evaluation (``manager``) and export them
(``export``). The ``[engine]`` config section is ``monitor.config.engine``;
``monitor.wiring`` gives the manager the alert intake as its sink; the ``candor rules`` /
``candor promql`` commands are in ``monitor.cli.rules``.
"""
