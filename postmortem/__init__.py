"""Postmortems and leadership reports (step 9 of the guide: learn after the error).

    timeline.py   pure: events + overlays -> timeline entries; key figures (TTD, TTA, …)
    models.py     tables (postmortem, versions, review events, overlays, action items) and API schemas
    service.py    drafting, editing, review workflow (a transition table), overlays, action items
    lint.py       blameless rules for the shared engine ``monitor.textlint``
    report.py     gathers one incident into a plain ``Report`` (incidents read via monitor's service)
    charts.py     matplotlib SVG/PNG of the triggering signal with milestone markers
    render.py     sandboxed Jinja2 -> Markdown / HTML, WeasyPrint -> PDF
    digest.py     leadership digest for a week / month / quarter, with trends
    metrics.py    candor_action_items_overdue collector
    api.py, cli.py  HTTP routes and ``candor postmortem …`` / ``candor digest``
    examples.py   the demo story; regenerates docs/examples/

Dependencies point one way: this package imports ``monitor``; ``monitor`` only
mounts ``api.router`` and the CLI commands.
"""
