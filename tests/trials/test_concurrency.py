"""Trial: requests fired at the same instant at a real ``candor serve`` (its own process, real
HTTP, uvicorn's thread pool), on SQLite and on a real PostgreSQL.

- the same webhook sent N times at once (an Alertmanager HA pair, retries) → one incident
  per group, one alert row, one attachment; the copies count as ``deduplicated``;
- N different alerts of one new group at once → one incident with N alerts; the rest
  count as ``grouped``;
- 100 notes on one incident at once → 100 events with consecutive ``seq``, 0 errors;
- two new alerts for one existing incident at once → no failures, both attached;
- one notice's draft published several times at once → one version, one event, the other
  requests a 409 saying it is published; several updates to one notice at once → consecutive
  versions, each linked to the one before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pytest_postgresql.janitor import DatabaseJanitor
from sqlmodel import col, select

from monitor.alerting.models import AlertRecord
from monitor.api.runtime import Runtime
from monitor.comms.models import NoticeVersion
from monitor.config import load
from monitor.event_types import EventType
from monitor.incidents.models import Incident, IncidentEvent
from monitor.wiring import build_runtime
from tests.monitor.comms.factories import GOOD
from tests.support.processes import candor_process
from tests.trials.conftest import (
    INTAKE,
    alert,
    at_once,
    environment,
    post,
    report,
    responder,
    status_of,
    webhook,
    write_config,
)

pytestmark = pytest.mark.slow
GROUPS = 50
COPIES = 4


@dataclass
class Server:
    url: str
    runtime: Runtime
    store: str

    def intake(self, body: dict[str, Any]) -> httpx.Response:
        return post(f"{self.url}/api/v1/alertmanager", body, INTAKE)

    def received(self) -> Counter[str]:
        """``candor_alerts_received_total{source="alertmanager"}`` by outcome, as scraped."""
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        return Counter({s.labels["outcome"]: int(s.value)
                        for family in text_string_to_metric_families(text)
                        for s in family.samples
                        if s.name == "candor_alerts_received_total"
                        and s.labels.get("source") == "alertmanager"})


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp(f"concurrency-{request.param}")
    janitor = None
    url = None
    if request.param == "postgres":
        pg = request.getfixturevalue("pg_server")
        janitor = DatabaseJanitor(user=pg["user"], host=pg["host"], port=pg["port"],
                                  dbname="candor_concurrency", connection_timeout=10)
        janitor.init()
        url = f"postgresql://{pg['user']}@{pg['host']}:{pg['port']}/candor_concurrency"
    env = environment(url)
    mp = pytest.MonkeyPatch()
    for name, value in env.items():
        mp.setenv(name, value)
    config = write_config(directory, database_url=url)
    runtime = build_runtime(load(config))
    try:
        with candor_process(config, log=directory / "candor.log", env=env) as candor:
            yield Server(candor.url, runtime, request.param)
    finally:
        runtime.close()
        mp.undo()
        if janitor is not None:
            janitor.drop()


def incidents_named(runtime: Runtime, prefix: str) -> list[Incident]:
    with runtime.unit() as s:
        return [i for i in s.exec(select(Incident)) if i.title.startswith(prefix)]


def attachments(runtime: Runtime, incident_ids: list[int]) -> Counter[str]:
    """ALERT_ATTACHED events per fingerprint over these incidents."""
    with runtime.unit() as s:
        events = s.exec(select(IncidentEvent).where(col(IncidentEvent.incident_id).in_(incident_ids),
                                                    IncidentEvent.type == EventType.ALERT_ATTACHED))
        return Counter(e.payload["fingerprint"] for e in events)


def alert_rows(runtime: Runtime, incident_ids: list[int]) -> list[AlertRecord]:
    with runtime.unit() as s:
        return list(s.exec(select(AlertRecord).where(col(AlertRecord.incident_id).in_(incident_ids))))


def test_identical_webhooks_at_once_open_one_incident_per_group(server: Server) -> None:
    before = server.received()
    bodies = [webhook(alert("Identical", f"svc-{g}")) for g in range(GROUPS) for _ in range(COPIES)]

    results = at_once([partial(server.intake, b) for b in bodies])

    statuses = Counter(status_of(r) for r in results)
    opened = incidents_named(server.runtime, "Identical")
    ids = [i.id for i in opened if i.id is not None]
    after = server.received()
    report(f"identical webhooks at once ({server.store})", sent=len(bodies),
           acknowledged=statuses["200"], incidents=len(opened), groups=GROUPS,
           attached=sum(attachments(server.runtime, ids).values()),
           new=after["new"] - before["new"],
           deduplicated=after["deduplicated"] - before["deduplicated"])
    assert statuses == {"200": len(bodies)}
    assert sorted(i.group_key or "" for i in opened) == sorted({i.group_key or "" for i in opened})
    assert len(opened) == GROUPS
    assert set(attachments(server.runtime, ids).values()) == {1}
    rows = alert_rows(server.runtime, ids)
    assert len(rows) == GROUPS and sum(r.receive_count for r in rows) == GROUPS * COPIES
    assert after["new"] - before["new"] == GROUPS
    assert after["deduplicated"] - before["deduplicated"] == GROUPS * (COPIES - 1)


def test_alerts_of_one_new_group_at_once_share_one_incident(server: Server) -> None:
    before = server.received()
    bodies = [webhook(alert("SameGroup", f"svc-{g}", instance=f"i{n}"))
              for g in range(GROUPS) for n in range(COPIES)]

    results = at_once([partial(server.intake, b) for b in bodies])

    statuses = Counter(status_of(r) for r in results)
    opened = incidents_named(server.runtime, "SameGroup")
    ids = [i.id for i in opened if i.id is not None]
    after = server.received()
    report(f"same-group alerts at once ({server.store})", sent=len(bodies),
           acknowledged=statuses["200"], incidents=len(opened), groups=GROUPS,
           attached=sum(attachments(server.runtime, ids).values()),
           new=after["new"] - before["new"], grouped=after["grouped"] - before["grouped"])
    assert statuses == {"200": len(bodies)}
    assert len(opened) == GROUPS
    assert Counter(attachments(server.runtime, ids).values()) == {1: GROUPS * COPIES}
    assert len(alert_rows(server.runtime, ids)) == GROUPS * COPIES
    assert after["new"] - before["new"] == GROUPS
    assert after["grouped"] - before["grouped"] == GROUPS * (COPIES - 1)


def test_a_hundred_notes_at_once_are_a_hundred_events(server: Server) -> None:
    assert server.intake(webhook(alert("Notes", "notes"))).status_code == 200
    (incident,) = incidents_named(server.runtime, "Notes")
    headers = responder(server.runtime)
    url = f"{server.url}/api/v1/incidents/{incident.key}/notes"

    results = at_once([partial(post, url, {"text": f"note {n}"}, headers) for n in range(100)])

    statuses = Counter(status_of(r) for r in results)
    with server.runtime.unit() as s:
        events = list(s.exec(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                             .order_by(col(IncidentEvent.seq))))
        row = s.get(Incident, incident.id)
    notes = [e for e in events if e.type == EventType.NOTE_ADDED]
    report(f"100 notes at once ({server.store})", sent=100, acknowledged=statuses["201"],
           recorded=len(notes), errors=100 - statuses["201"])
    assert statuses == {"201": 100}
    assert sorted(e.payload["text"] for e in notes) == sorted(f"note {n}" for n in range(100))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert row is not None and row.event_count == len(events)


def test_two_alerts_for_an_existing_incident_at_once(server: Server) -> None:
    for g in range(GROUPS):
        assert server.intake(webhook(alert("Existing", f"svc-{g}", instance="first"))).status_code == 200
    bodies = [webhook(alert("Existing", f"svc-{g}", instance=f"second-{n}"))
              for g in range(GROUPS) for n in range(2)]

    results = at_once([partial(server.intake, b) for b in bodies])

    statuses = Counter(status_of(r) for r in results)
    opened = incidents_named(server.runtime, "Existing")
    ids = [i.id for i in opened if i.id is not None]
    report(f"two alerts for an existing incident at once ({server.store})", sent=len(bodies),
           acknowledged=statuses["200"], failed=len(bodies) - statuses["200"],
           attached=sum(attachments(server.runtime, ids).values()) - GROUPS)
    assert statuses == {"200": len(bodies)}
    assert len(opened) == GROUPS
    assert Counter(attachments(server.runtime, ids).values()) == {1: GROUPS * 3}


NOTICES = 20


def notice_rows(runtime: Runtime, incident: Incident) -> tuple[list[NoticeVersion], list[IncidentEvent]]:
    with runtime.unit() as s:
        versions = list(s.exec(select(NoticeVersion).where(NoticeVersion.incident_id == incident.id)
                               .order_by(col(NoticeVersion.notice_id), col(NoticeVersion.version))))
        events = list(s.exec(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                             .order_by(col(IncidentEvent.seq))))
    return versions, events


def test_a_notice_published_several_times_at_once_is_one_version(server: Server) -> None:
    assert server.intake(webhook(alert("Notices", "notices"))).status_code == 200
    (incident,) = incidents_named(server.runtime, "Notices")
    headers = responder(server.runtime)
    ids = []
    for _ in range(NOTICES):
        drafted = post(f"{server.url}/api/v1/incidents/{incident.key}/notices",
                       {"lang": "en", "content": GOOD["en"]}, headers)
        assert drafted.status_code == 201, drafted.text
        ids.append(drafted.json()["id"])

    results = at_once([partial(post, f"{server.url}/api/v1/notices/{n}/publish", None, headers)
                       for n in ids for _ in range(COPIES)])

    statuses = Counter(status_of(r) for r in results)
    versions, events = notice_rows(server.runtime, incident)
    published = [e for e in events if e.type == EventType.NOTICE_PUBLISHED]
    report(f"one draft published {COPIES} times at once ({server.store})",
           sent=len(results), notices=NOTICES, published=statuses["201"], refused=statuses["409"],
           versions=len(versions), events=len(published))
    assert statuses == {"201": NOTICES, "409": NOTICES * (COPIES - 1)}
    losers = [r for r in results if isinstance(r, httpx.Response) and r.status_code == 409]
    assert all(r.headers["content-type"] == "application/problem+json" for r in losers)
    assert all("has no draft to publish (its last draft is version 1, already published)"
               in r.json()["detail"] and r.json()["latest_version"] == 1 for r in losers)
    assert [(v.notice_id, v.version) for v in versions] == [(n, 1) for n in ids]
    assert sorted(e.payload["notice_id"] for e in published) == ids
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_updates_to_one_notice_at_once_are_consecutive_versions(server: Server) -> None:
    assert server.intake(webhook(alert("Updates", "updates"))).status_code == 200
    (incident,) = incidents_named(server.runtime, "Updates")
    headers = responder(server.runtime)
    ids = []
    for _ in range(NOTICES // 2):
        drafted = post(f"{server.url}/api/v1/incidents/{incident.key}/notices",
                       {"lang": "en", "content": GOOD["en"]}, headers)
        ids.append(drafted.json()["id"])
        assert post(f"{server.url}/api/v1/notices/{ids[-1]}/publish", None,
                    headers).status_code == 201
    update = {"kind": "update", "content": {**GOOD["en"], "what_we_are_doing":
                                            "We are undoing the change now; half the links work."}}

    results = at_once([partial(post, f"{server.url}/api/v1/notices/{n}/versions", update, headers)
                       for n in ids for _ in range(COPIES)])

    statuses = Counter(status_of(r) for r in results)
    versions, events = notice_rows(server.runtime, incident)
    report(f"{COPIES} updates to one notice at once ({server.store})", sent=len(results),
           notices=len(ids), published=statuses["201"], versions=len(versions) - len(ids))
    assert statuses == {"201": len(results)}
    by_id = {v.id: v for v in versions}
    for n in ids:
        chain = [v for v in versions if v.notice_id == n]
        assert [v.version for v in chain] == list(range(1, COPIES + 2))
        assert [v.kind for v in chain] == ["initial"] + ["update"] * COPIES
        assert all(by_id[v.previous_id].version == v.version - 1
                   for v in chain[1:])
    updated = [e for e in events if e.type == EventType.NOTICE_UPDATED]
    assert Counter(e.payload["notice_id"] for e in updated) == dict.fromkeys(ids, COPIES)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
