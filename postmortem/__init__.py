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
    schedule.py   the scheduled digest, sent through the outbox
    signal.py     the triggering signal of an incident, for its chart
    api.py        HTTP routes
    examples.py   the demo story; regenerates docs/examples/

Dependencies point one way: this package imports ``monitor``; only monitor's composition
layer imports it back (``monitor.wiring`` runs its jobs and registers its metrics,
``monitor.app`` mounts ``api.router``, ``monitor.cli.postmortem`` holds
``candor postmortem …`` / ``candor digest``). Its config section is
``monitor.config.postmortem``.
"""
