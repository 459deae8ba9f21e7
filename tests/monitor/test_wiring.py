"""The composition root: hooks in their order, the job list (the layers it keeps apart are
import contracts: ``[tool.importlinter]`` in pyproject.toml, and tests/test_layering.py)."""

from __future__ import annotations

from monitor.config import Settings
from monitor.promql import Engine, Vector, labels_dict
from monitor.wiring import Candor, event_hooks, fresh_rules, jobs


def test_every_incident_event_runs_the_outbox_then_subscribers_then_reporters(
        settings: Settings) -> None:
    assert [getattr(hook, "func", hook).__name__ for hook in event_hooks(settings)] == [
        "enqueue_for_event", "notify_subscribers", "notify_reporters", "draft_update_on_regression",
        "announce"]


def test_the_job_list(candor: Candor, make_settings, make_candor) -> None:
    assert [job.name for job in jobs(candor)] == [
        "verification", "notify:direct-webhook", "notify:unconfigured", "subscriber-fanout",
        "postmortem-drafts", "self-scrape", "rules"]
    off = make_candor(make_settings(signals={"self_scrape": False}))
    assert "self-scrape" not in [job.name for job in jobs(off)]
    prometheus = make_candor(make_settings(
        engine={"mode": "prometheus", "prometheus_url": "http://127.0.0.1:9"},
        notify={"receivers": [{"name": "wiki", "kind": "webhook", "url": "http://127.0.0.1:9/x"}]},
        postmortem={"digest_receivers": ["wiki"]}))
    assert prometheus.rules is None
    assert [job.name for job in jobs(prometheus)] == [
        "verification", "notify:wiki", "notify:direct-webhook", "notify:unconfigured", "subscriber-fanout",
        "postmortem-drafts", "postmortem-digest"]


def test_fresh_rules_run_in_embedded_mode_only_and_on_the_leader(
        candor: Candor, make_settings, make_candor) -> None:
    fresh = fresh_rules(candor)
    assert fresh is not None and fresh.manager is candor.rules
    assert fresh.active() is False  # not leading: fresh samples are left to the leader
    prometheus = make_candor(make_settings(
        engine={"mode": "prometheus", "prometheus_url": "http://127.0.0.1:9"}))
    assert fresh_rules(prometheus) is None


def test_singleton_jobs_act_only_while_this_replica_leads(candor: Candor) -> None:
    verification = next(job for job in jobs(candor) if job.name == "verification")
    assert verification.run() is None  # not leading: the pass is skipped
    assert candor.leader.renew()
    assert verification.run() is not None  # leading: the sweep ran (nothing to verify)



def test_self_scrape_makes_candors_own_metrics_queryable(candor: Candor) -> None:
    """Embedded mode, default config: candor_incidents_open is in the store (job="candor"),
    so rules/candor-self.yml can fire and /prometheus answers for it."""
    job = next(j for j in jobs(candor) if j.name == "self-scrape")
    assert job.every_seconds == 15.0
    job.run()
    now = candor.runtime.clock.now().timestamp()
    result = Engine(candor.signals.store).instant('sum(candor_incidents_open{job="candor"})', now)
    assert isinstance(result, Vector) and [s.value for s in result] == [0.0]
    up = Engine(candor.signals.store).instant("up", now)
    assert isinstance(up, Vector) and [(labels_dict(s.labels), s.value) for s in up] == [
        ({"__name__": "up", "job": "candor", "instance": "127.0.0.1:8080"}, 1.0)]
