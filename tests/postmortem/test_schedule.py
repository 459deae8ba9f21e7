"""The scheduled digest: one outbox message per receiver at the cron time, never twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from monitor.config import parse
from monitor.errors import ConfigError
from monitor.notify.delivery import deliver_due
from monitor.notify.models import OutboxMessage
from monitor.wiring import jobs
from postmortem import examples, schedule

MONDAY_8 = datetime(2026, 3, 9, 8, 0, 30, tzinfo=UTC)
RECEIVERS = [
    {"name": "leaders", "kind": "smtp", "url": "smtp://127.0.0.1:2525", "to": ["vp@everlinks.io"],
     "events": ["incident.opened"]},
    {"name": "wiki", "kind": "webhook", "url": "https://wiki.example/hook", "events": ["incident.opened"]},
]


@pytest.fixture
def digest_candor(make_settings, make_candor, clock):
    settings = make_settings(notify={"receivers": RECEIVERS},
                             postmortem={"digest_receivers": ["leaders", "wiki"]})
    candor = make_candor(settings)
    with candor.runtime.unit() as session:
        incident = examples.demo_incident(session, clock, settings)
        examples.write_postmortem(session, clock, incident, settings)
    return candor


def digest_job(candor):
    return next((job for job in jobs(candor) if job.name == "postmortem-digest"), None)


def send_due(candor):
    runtime = candor.runtime
    return schedule.send_due(runtime.engine, runtime.settings, now=runtime.clock.now(),
                             signals=candor.signal_source)


def messages(runtime):
    with runtime.unit() as session:
        return [(m.receiver, m.event_type, m.payload)
                for m in session.exec(select(OutboxMessage).where(OutboxMessage.event_type == "digest.published"))]


def test_monday_8am_enqueues_the_digest_once_per_receiver(digest_candor, clock):
    clock.set(MONDAY_8)
    job = digest_job(digest_candor)
    assert job is not None and job.every_seconds == 60
    assert job.run() is None  # only the replica holding the leader lease sends it
    assert digest_candor.leader.renew()
    assert len(job.run()) == 2
    assert job.run() == []  # the next tick: already queued
    sent = {receiver: payload for receiver, _, payload in messages(digest_candor.runtime)}
    assert set(sent) == {"leaders", "wiki"}
    mail = sent["leaders"]
    assert mail["to"] == ["vp@everlinks.io"] and mail["subject"].startswith("Incident digest: week")
    assert "INC-1" in mail["text"] and "<svg" not in mail["html"]  # mail readers show no SVG
    assert sorted(mail["images"]) == ["mttr_per_week.20260309T0800Z@candor",
                                      "per_day.20260309T0800Z@candor"]
    assert 'src="cid:per_day.20260309T0800Z@candor"' in mail["html"]
    assert "<svg" in sent["wiki"]["html"]  # a webhook gets the HTML with inline SVG
    assert sent["wiki"]["type"] == "digest.published" and sent["wiki"]["digest"]["current"]["count"] == 1
    assert "No SLOs configured." in sent["wiki"]["markdown"]


def test_replicas_sending_the_digest_at_once_store_it_once(make_settings, make_candor, clock):
    candor = make_candor(make_settings(notify={"receivers": RECEIVERS},
                                       postmortem={"digest_receivers": ["leaders", "wiki"]}))
    clock.set(MONDAY_8)
    barrier = threading.Barrier(4)

    def replica(_: int) -> list[str]:
        barrier.wait()
        return send_due(candor)

    with ThreadPoolExecutor(max_workers=4) as pool:
        created = [key for keys in pool.map(replica, range(4)) for key in keys]

    assert sorted(created) == ["leaders:digest:2026-03-09T08:00Z", "wiki:digest:2026-03-09T08:00Z"]
    assert sorted(receiver for receiver, _, _ in messages(candor.runtime)) == ["leaders", "wiki"]


def test_between_schedule_times_nothing_is_sent(digest_candor, clock):
    clock.set(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    assert send_due(digest_candor) == [] and messages(digest_candor.runtime) == []


def test_a_bad_cron_is_refused_at_load_naming_the_key():
    with pytest.raises(ConfigError) as error:
        parse('[postmortem]\ndigest_schedule = "0 8 * MON"\n', "config.toml")
    assert error.value.lines[0].startswith(
        "config.toml:2: postmortem.digest_schedule: '0 8 * MON' is not a cron schedule")


def test_an_unknown_receiver_is_refused_at_start_naming_the_key(make_settings, make_candor):
    candor = make_candor(make_settings(postmortem={"digest_receivers": ["nobody"]}))
    with pytest.raises(ConfigError, match="postmortem.digest_receivers: no .* named 'nobody'"):
        jobs(candor)


def test_no_receivers_means_no_job(candor):
    assert digest_job(candor) is None


def test_last_fire_finds_the_latest_cron_time_within_the_grace():
    assert schedule.last_fire("0 8 * * MON", MONDAY_8) == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    assert schedule.last_fire("0 8 * * MON", datetime(2026, 3, 9, 15, 0, tzinfo=UTC)) is None


def test_the_digest_arrives_as_mail_and_as_a_webhook(make_settings, make_candor, clock, httpserver, smtp):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    receivers = [{**RECEIVERS[0], "url": f"smtp://127.0.0.1:{smtp.port}"},
                 {**RECEIVERS[1], "url": httpserver.url_for("/hook")}]
    candor = make_candor(make_settings(notify={"receivers": receivers, "jitter": 0},
                                       postmortem={"digest_receivers": ["leaders", "wiki"]}))
    clock.set(MONDAY_8)
    assert len(send_due(candor)) == 2
    stats = deliver_due(candor.courier)
    assert stats.delivered == 2, stats.errors
    (mail,) = smtp.mails
    assert mail["Subject"].startswith("Incident digest: week") and mail["To"] == "vp@everlinks.io"
    # a real HTML mail: the text, or the HTML with its two charts attached inline
    assert mail.get_content_type() == "multipart/alternative"
    text, related = mail.get_payload()
    assert text.get_content_type() == "text/plain"
    assert "No incidents in this period." in text.get_content()
    assert related.get_content_type() == "multipart/related"
    html, *images = related.get_payload()
    assert html.get_content_type() == "text/html" and len(images) == 2
    body = html.get_content()
    assert "No incidents in this period." in body and "<svg" not in body
    for image in images:
        assert image.get_content_type() == "image/png"
        assert image.get_content().startswith(b"\x89PNG")
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in body
    assert mail.get_body(("html",)) is html
    (request, _), = httpserver.log
    assert request.json["type"] == "digest.published" and request.json["digest"]["empty"] is True
