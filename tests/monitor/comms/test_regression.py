"""Story: a fix did not hold after we told users. Candor drafts the update in each language
(a person publishes it), keeps a person's draft in progress, and counts the update as owed
until it goes out, so the overdue-notice alert fires."""

from __future__ import annotations

from datetime import timedelta

from monitor.clock import FixedClock
from monitor.comms import service
from monitor.comms.models import Kind
from monitor.db import id_of
from monitor.i18n.public import Public
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import State
from monitor.incidents.models import Incident
from monitor.wiring import Candor
from tests.monitor.comms.conftest import open_incident
from tests.monitor.comms.factories import content


def _regress(candor: Candor, incident: Incident, clock: FixedClock) -> None:
    with candor.runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        incidents.transition(s, row, State.ACKNOWLEDGED, actor="ana", clock=clock)
        incidents.record_fix(s, row, "restart the cache", release="r2", actor="ana", clock=clock)
        incidents.regress(s, row, reason={"code": "never_inactive", "deadline": clock.now().isoformat(),
                                          "wait": 600.0}, evidence={}, actor="candor-verifier", clock=clock)


def test_a_regression_after_a_notice_drafts_the_update_and_owes_it(
    candor: Candor, incident: Incident, fixed: FixedClock
) -> None:
    runtime = candor.runtime
    quiet = open_incident(runtime, title="Nobody was told", labels={"team": "other"})
    with runtime.unit() as s:
        notices = {}
        for lang in ("pt-BR", "en"):
            notice = service.draft(s, incident, lang=lang, clock=fixed, actor="carla",
                                   content=content(lang, fixed.now() + timedelta(hours=2)))
            service.publish(s, notice, actor="carla", is_admin=False, clock=fixed, settings=runtime.settings)
            notices[lang] = id_of(notice)
        # carla is already writing the next English update: hers stays as it is
        mine = content("en", what_we_are_doing="We are rolling the cache back.")
        service.revise(s, service.get_or_raise(s, notices["en"]), kind=Kind.UPDATE, content=mine, clock=fixed)
    fixed.advance(minutes=5)
    _regress(candor, incident, fixed)
    _regress(candor, quiet, fixed)

    with runtime.unit() as s:
        pt = service.get_or_raise(s, notices["pt-BR"])
        en = service.get_or_raise(s, notices["en"])
        assert pt.draft is not None and pt.draft["kind"] == Kind.UPDATE
        assert pt.draft["content"]["what_we_are_doing"] == Public.fix_did_not_hold("pt-BR")
        assert pt.draft["content"]["title"].endswith("nossa correção não resolveu")
        # due 10 min after the regression (SEV1 first_notice), the next one 30 min later (update)
        assert pt.draft["content"]["next_update_at"] == (fixed.now() + timedelta(minutes=40)).isoformat()
        assert en.draft is not None and en.draft["content"]["what_we_are_doing"] == "We are rolling the cache back."
        assert service.notices_of(s, incidents.get_by_key_or_raise(s, quiet.key)) == []
        last = service.latest(s, pt)
        assert last is not None and last.kind == Kind.INITIAL   # drafted, not published
        findings = service.check(pt, runtime.settings)
        assert [f for f in findings if f.finding.severity == "error"] == [], findings  # publishable as drafted

    value = runtime.registry.get_sample_value
    overdue = {"severity": "SEV1", "due": "update"}
    assert value("candor_notices_overdue", overdue) == 0       # the notice promised 2 h; 5 min passed
    fixed.advance(minutes=11)                                  # [comms.cadence] SEV1 first_notice: 10m
    assert value("candor_notices_overdue", overdue) == 1       # the regression's update is owed
    with runtime.unit() as s:
        service.publish(s, service.get_or_raise(s, notices["pt-BR"]), actor="carla", is_admin=False,
                        clock=fixed, settings=runtime.settings)
    assert value("candor_notices_overdue", overdue) == 0
