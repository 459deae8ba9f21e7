"""The demo's stories (``candor demo --once [--bad-fix]``) on an injected clock: the same
settings (an 8 s verification window, 1 s sweeps and rule evaluations), the same simulated
traffic and on-call actions through the API, but a second passes when the test says so.
Every background job comes from ``monitor.wiring.jobs`` and runs when its interval is due
on the test clock, through the scheduler's own guard, so the job wiring is what is tested.

No sleeps and no wall-clock times: the verdicts depend only on the samples and the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from exporters import Exporter, Pusher, SignalBatch
from monitor.app import create_app
from monitor.auth.models import Role
from monitor.cli.demo import SECRET_VAR, SERVICE, SLO_SILENCE, _settings
from monitor.clock import FixedClock
from monitor.demo.app import record
from monitor.demo.traffic import Story, tick
from monitor.event_types import EventType
from monitor.i18n.verdicts import transition_reason
from monitor.scheduler import Job, _guarded
from monitor.signals.service import from_batch
from monitor.verification import words
from monitor.wiring import Candor, assemble, build_runtime, jobs
from tests.conftest import START, bearer


class Driver:
    """Runs the wiring's jobs on the test clock: each when its interval is due."""

    def __init__(self, candor: Candor, clock: FixedClock) -> None:
        self.candor, self.clock = candor, clock
        self.jobs = jobs(candor)
        self.due = {job.name: clock.now() for job in self.jobs}
        self.ran: dict[str, int] = {job.name: 0 for job in self.jobs}

    def second(self) -> None:
        self.clock.advance(seconds=1)
        self.candor.leader.renew()
        for job in self.jobs:
            if self.clock.now() >= self.due[job.name]:
                _guarded(job)()
                self.ran[job.name] += 1
                self.due[job.name] = self.clock.now() + timedelta(seconds=job.every_seconds)


class Demo:
    """The simulated app and the on-call engineer of monitor/cli/demo.py, in process."""

    def __init__(self, candor: Candor, clock: FixedClock, story: Story) -> None:
        self.candor, self.clock, self.story = candor, clock, story
        self.app = Exporter(SERVICE, release="2026.11.25-1")
        # the pusher's own snapshot (what it would POST), handed to the ingest service
        self.pusher = Pusher("http://unused", registry=self.app.registry, send=lambda _: 204)
        self.api = TestClient(create_app(candor))
        self.api.headers.update(bearer(candor.runtime, Role.ADMIN, "demo"))
        self.driver = Driver(candor, clock)
        self.key: str | None = None
        self.states: list[str] = []

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.api.request(method, url, **kwargs)
        assert response.status_code < 300, (method, url, response.text)
        return response.json()

    def push(self) -> None:
        now_ms = int(self.clock.now().timestamp() * 1000)
        batch = SignalBatch(samples=self.pusher.snapshot(now_ms=now_ms))
        self.candor.signals.ingest(from_batch(batch, now_ms), source="json")

    def run(self, seconds: int, fixes: dict[int, tuple[str, str]], stop_at: str) -> None:
        self.call("POST", "/api/v1/silences", json=SLO_SILENCE)
        for second in range(seconds):
            record(self.app, tick(self.story, second))
            if second in fixes and self.key:
                release, text = fixes[second]
                self.call("POST", f"/api/v1/incidents/{self.key}/fixes",
                          json={"description": text, "release": release, "service": SERVICE})
                self.app.deploy(release, fix=self.key, at=self.clock.now().timestamp())
            self.push()
            self.driver.second()
            self.look()
            if self.states[-1:] == [stop_at]:
                return

    def look(self) -> None:
        if self.key is None:
            page = self.call("GET", "/api/v1/incidents")["data"]
            if not page:
                return
            self.key = page[0]["key"]
            self.call("POST", f"/api/v1/incidents/{self.key}/ack")
            for state in ("identified", "fixing"):
                self.call("POST", f"/api/v1/incidents/{self.key}/transitions",
                          json={"to": state, "reason": "redirect cache misconfigured"})
        state = self.call("GET", f"/api/v1/incidents/{self.key}")["state"]
        if state not in self.states[-1:]:
            self.states.append(state)

    def events(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call("GET", f"/api/v1/incidents/{self.key}/events")
        return found

    def verdicts(self) -> list[dict[str, Any]]:
        return [e["payload"] for e in self.events() if e["type"] == EventType.VERIFICATION_VERDICT]


@pytest.fixture
def demo_candor(tmp_path: Path) -> Iterator[tuple[Candor, FixedClock]]:
    clock = FixedClock(START)
    settings = _settings(tmp_path, "http://127.0.0.1:8080", "http://127.0.0.1:9/hook")
    candor = assemble(build_runtime(settings, clock=clock, registry=CollectorRegistry()))
    yield candor, clock
    candor.close()


def test_the_fix_is_verified_after_the_8s_window(demo_candor: tuple[Candor, FixedClock],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VAR, "whsec_test")
    candor, clock = demo_candor
    demo = Demo(candor, clock, Story())
    demo.run(65, {20: ("2026.11.25-2", "Rolled back the redirect cache config")},
             stop_at="resolved")

    assert demo.key == "INC-1"
    assert [s for s in demo.states if s in ("fixing", "verifying", "resolved")] == [
        "fixing", "verifying", "resolved"]
    [verdict] = demo.verdicts()
    assert verdict["outcome"] == "verified"
    window = verdict["window"]
    assert _seconds(window["end"]) - _seconds(window["start"]) == 8  # the demo's window
    # every job ran on the test clock at its own interval
    # resolved 11 s after the fix at second 20: the 8 s window once the alert expression
    # went inactive; deterministic, because only the test moves the clock
    assert clock.now() - START == timedelta(seconds=31)
    # every job ran on the test clock at its own interval: the 1 s jobs every second, the
    # postmortem drafts at 1 s and 31 s
    every_second = {name: 31 for name in demo.driver.ran if name != "postmortem-drafts"}
    assert demo.driver.ran == {**every_second, "postmortem-drafts": 2}
    assert set(every_second) == {"verification", "notify:on-call-tool", "notify:direct-webhook",
                                 "notify:unconfigured", "subscriber-fanout", "self-scrape", "rules"}


def test_a_bad_fix_regresses_then_the_good_one_is_verified_then_it_reopens(
        demo_candor: tuple[Candor, FixedClock], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_VAR, "whsec_test")
    candor, clock = demo_candor
    demo = Demo(candor, clock, Story(spike_end=40, relapse_start=58))
    demo.run(100, {20: ("2026.11.25-2", "Restarted the redirect cache"),
                   40: ("2026.11.25-3", "Rolled back the redirect cache config")},
             stop_at="reopened")

    assert [s for s in demo.states if s != "identified"] == [
        "fixing", "verifying", "fixing", "verifying", "resolved", "reopened"]
    regressed, verified = demo.verdicts()
    assert (regressed["outcome"], verified["outcome"]) == ("regressed", "verified")
    # the first fix at 20 s: the alert expression never went inactive within its bounded
    # wait (8 s window + 5 s range + two 1 s rule intervals + a 1 s step)
    assert regressed["reasons"] == [{"code": "never_inactive", "wait": 16.0,
                                     "deadline": "2026-03-02T09:00:36+00:00"}]
    # the second: 7 errors in 1,600 soak requests (the seeded traffic), under the allowance
    [within] = verified["reasons"]
    assert (within["code"], within["errors"], within["requests"]) == ("errors_within", 7, 1600)
    assert within["ratio"] < within["allowed"]
    # what the demo prints (monitor/cli/demo.py, OnCall.news), from the same payloads
    told = "\n".join([*words.verdict_lines(regressed, "en"), *words.verdict_lines(verified, "en")])
    for said in ("Verdict on fix INC-1/fix-1: regressed: the alert expression was still active",
                 "it never went inactive within 16s of the fix",
                 "Verdict on fix INC-1/fix-2: verified: error ratio", "exact binomial"):
        assert said in told, told
    [reopened] = [e["payload"] for e in demo.events() if e["type"] == EventType.INCIDENT_TRANSITIONED
                  and e["payload"]["to"] == "reopened"]
    assert transition_reason(reopened["reason_code"], reopened.get("reason_values") or {},
                             "en") == ("regressed after fix INC-1/fix-2: alert RedirectErrorRatioHigh "
                                       "fired again within the reopen window (1d 0h)")


def test_a_failing_job_is_logged_and_runs_again_and_the_others_still_run(
        caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("the receiver hung up")

    guarded = [_guarded(Job("broken", 1.0, broken)),
               _guarded(Job("fine", 1.0, lambda: calls.append("fine")))]
    with caplog.at_level(logging.ERROR, logger="candor.scheduler"):
        for _ in range(2):
            for tick_ in guarded:
                tick_()
    assert calls == ["broken", "fine", "broken", "fine"]
    assert [r.getMessage() for r in caplog.records] == [
        "job broken failed; it runs again at the next tick"] * 2
    assert all(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in caplog.records)


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def test_each_job_is_scheduled_at_its_interval_one_run_at_a_time_late_ticks_coalesced(
        candor: Candor, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor import scheduler

    monkeypatch.setattr(scheduler, "settle_heap", lambda: None)  # keep the runner's heap as is
    wired = jobs(candor)
    running = scheduler.start([Job(j.name, j.every_seconds, lambda: None) for j in wired])
    try:
        scheduled = {job.id: job for job in running.get_jobs()}
        assert sorted(scheduled) == sorted(j.name for j in wired)  # get_jobs: by next run
        for job in wired:
            entry = scheduled[job.name]
            assert entry.trigger.interval == timedelta(seconds=job.every_seconds)
            assert (entry.max_instances, entry.coalesce) == (1, True)
    finally:
        running.shutdown(wait=False)
