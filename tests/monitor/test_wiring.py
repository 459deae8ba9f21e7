"""The composition root: hooks in their order, the job list (the layers it keeps apart are
import contracts: ``[tool.importlinter]`` in pyproject.toml, and tests/test_layering.py)."""

from __future__ import annotations

from monitor.config import Settings
from monitor.wiring import Candor, event_hooks, jobs


def test_every_incident_event_runs_the_outbox_then_subscribers_then_reporters(
        settings: Settings) -> None:
    assert [hook.func.__name__ for hook in event_hooks(settings)] == [  # type: ignore[attr-defined]
        "enqueue_for_event", "notify_subscribers", "notify_reporters"]


def test_the_job_list(candor: Candor, make_settings, make_candor) -> None:
    assert [job.name for job in jobs(candor)] == [
        "verification", "notify", "postmortem-drafts", "rules"]
    prometheus = make_candor(make_settings(
        engine={"mode": "prometheus", "prometheus_url": "http://127.0.0.1:9"},
        notify={"receivers": [{"name": "wiki", "kind": "webhook", "url": "http://127.0.0.1:9/x"}]},
        postmortem={"digest_receivers": ["wiki"]}))
    assert prometheus.rules is None
    assert [job.name for job in jobs(prometheus)] == [
        "verification", "notify", "postmortem-drafts", "postmortem-digest"]

