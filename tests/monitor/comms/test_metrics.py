"""Story: how fast we told users, how fast we corrected, and what is overdue, on /metrics."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from monitor.api.runtime import Runtime
from monitor.clock import FixedClock
from monitor.comms import service
from monitor.comms.models import Kind
from monitor.db import id_of
from monitor.incidents.models import Incident
from monitor.wiring import Candor
from tests.monitor.comms.conftest import open_incident
from tests.monitor.comms.factories import content


def value(runtime: Runtime, name: str, **labels: str) -> float | None:
    return runtime.registry.get_sample_value(name, labels)


def test_first_notice_correction_and_overdue_are_measured(
    candor: Candor, incident: Incident, fixed: FixedClock
) -> None:
    runtime = candor.runtime  # the assembled service registered the cadence collector
    late = open_incident(runtime, severity="SEV2", title="Sign-in slow")
    fixed.advance(minutes=11)
    assert value(runtime, "candor_notices_overdue", severity="SEV1", due="first_notice") == 1
    with runtime.unit() as s:
        notice = service.draft(s, incident, lang="en", clock=fixed, actor="ana",
                               content=content("en", fixed.now() + timedelta(minutes=15)))
        service.publish(s, notice, actor="ana", is_admin=False, clock=fixed,
                        settings=runtime.settings)
    assert value(runtime, "candor_time_to_first_notice_seconds_sum") == 660
    assert value(runtime, "candor_time_to_first_notice_seconds_bucket", le="600.0") == 0
    assert value(runtime, "candor_time_to_first_notice_seconds_bucket", le="900.0") == 1
    assert value(runtime, "candor_notices_overdue", severity="SEV1", due="first_notice") == 0
    fixed.advance(minutes=16)  # the notice promised an update within 15 minutes
    assert value(runtime, "candor_notices_overdue", severity="SEV1", due="update") == 1
    assert value(runtime, "candor_notices_overdue", severity="SEV2", due="first_notice") == 0
    fixed.advance(minutes=4)  # SEV2 first notice deadline is 30 min
    assert value(runtime, "candor_notices_overdue", severity="SEV2", due="first_notice") == 1
    with runtime.unit() as s:
        service.publish_version(
            s, service.get_or_raise(s, id_of(notice)), kind=Kind.CORRECTION, actor="ana",
            is_admin=False, clock=fixed, settings=runtime.settings,
            content=content("en", fixed.now() + timedelta(minutes=30),
                            what_was_wrong="We said sign-in worked.",
                            what_is_right="Sign-in also failed."))
    assert value(runtime, "candor_time_to_correction_seconds_sum") == 20 * 60
    assert value(runtime, "candor_notices_overdue", severity="SEV1", due="update") == 0
    with runtime.unit() as s:  # the SEV2 incident's first notice, 31 min after it opened
        notice = service.draft(s, late, lang="en", clock=fixed, actor="ana",
                               content=content("en", fixed.now() + timedelta(minutes=30)))
        service.publish(s, notice, actor="ana", is_admin=False, clock=fixed,
                        settings=runtime.settings)
    assert value(runtime, "candor_notices_overdue", severity="SEV2", due="first_notice") == 0
    assert value(runtime, "candor_time_to_first_notice_seconds_count") == 2
    assert value(runtime, "candor_time_to_first_notice_seconds_sum") == 660 + 31 * 60


def test_metrics_endpoint_exposes_cadence(client: TestClient) -> None:
    body = client.get("/metrics").text
    assert "candor_time_to_first_notice_seconds_count 0.0" in body
    assert 'candor_notices_overdue{due="first_notice",severity="SEV1"} 0.0' in body
