"""Story: a SEV1 spike gets pt-BR and en notices, linted and published; a correction follows;
the public pages show every version, the correction struck through, and nothing internal."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import DateTime
from sqlmodel import SQLModel, select

from monitor.api.runtime import Runtime
from monitor.clock import FixedClock
from monitor.db.types import UTCDateTime
from monitor.incidents.models import Incident
from monitor.notify.models import OutboxMessage
from tests.monitor.comms.factories import GOOD

INTERNAL = ["HighErrorRate", "redirect-svc", "5xx on redirect", "team", "SECRET-NOTE-7731",
            "test-responder", "test-admin", "runbook.internal"]


def good(lang: str, clock: FixedClock, **changes: Any) -> dict[str, Any]:
    return {**GOOD[lang], "next_update_at": (clock.now() + timedelta(minutes=30)).isoformat(),
            **changes}


def draft(client: TestClient, headers: dict[str, str], key: str, lang: str, content: dict) -> dict:
    response = client.post(f"/api/v1/incidents/{key}/notices", headers=headers,
                           json={"lang": lang, "content": content})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def story(client: TestClient, responder: dict[str, str], incident: Incident, fixed: FixedClock
          ) -> dict[str, Any]:
    """Both notices published at +6 min, then the en one corrected at +20 min."""
    client.post(f"/api/v1/incidents/{incident.key}/notes", headers=responder,
                json={"text": "SECRET-NOTE-7731 see runbook.internal"})
    fixed.advance(minutes=6)
    ids = {}
    for lang in ("pt-BR", "en"):
        ids[lang] = draft(client, responder, incident.key, lang, good(lang, fixed))["id"]
        published = client.post(f"/api/v1/notices/{ids[lang]}/publish", headers=responder)
        assert published.status_code == 201, published.text
    fixed.advance(minutes=14)
    correction = client.post(f"/api/v1/notices/{ids['en']}/versions", headers=responder, json={
        "kind": "correction",
        "content": good("en", fixed, title="Correction: creating links also failed",
                        who_is_affected="Everyone who opened or created a short link.",
                        what_was_wrong="We said that creating links still worked.",
                        what_is_right="Creating links also failed between 09:00 and 09:40 UTC."),
    })
    assert correction.status_code == 201, correction.text
    return {"key": incident.key, "ids": ids}


def test_lint_blocks_publishing_until_the_draft_is_fixed(
    client: TestClient, responder: dict[str, str], incident: Incident, fixed: FixedClock
) -> None:
    notice = draft(client, responder, incident.key, "en",
                   good("en", fixed, what_happened="Our provider returned 5xx errors."))
    assert {f["rule"] for f in notice["findings"]} == {"blame.shift", "jargon.status-code"}
    blocked = client.post(f"/api/v1/notices/{notice['id']}/publish", headers=responder)
    assert blocked.status_code == 422
    problem = blocked.json()
    assert problem["errors"] == [{"loc": "$.content.what_happened",
                                  "msg": "blame.shift: shifts responsibility away from us; users "
                                         "hold us responsible ('Our provider')"},
                                 {"loc": "$.content.what_happened",
                                  "msg": "jargon.status-code: HTTP status codes mean nothing to "
                                         "most users ('5xx')"}]
    assert client.get(f"/api/v1/notices/{notice['id']}", headers=responder).json()["versions"] == []
    fixed_draft = client.put(f"/api/v1/notices/{notice['id']}/draft", headers=responder,
                             json={"content": good("en", fixed)})
    assert fixed_draft.json()["findings"] == []
    assert client.post(f"/api/v1/notices/{notice['id']}/publish", headers=responder).status_code == 201


def test_publishing_a_draft_again_is_a_409_saying_it_is_published(
    client: TestClient, responder: dict[str, str], incident: Incident, fixed: FixedClock
) -> None:
    notice = draft(client, responder, incident.key, "en", good("en", fixed))
    url = f"/api/v1/notices/{notice['id']}/publish"
    assert client.post(url, headers=responder).status_code == 201
    again = client.post(url, headers=responder)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert again.json()["latest_version"] == 1
    assert "(its last draft is version 1, already published)" in again.json()["detail"]
    assert [v["version"] for v in client.get(f"/api/v1/notices/{notice['id']}",
                                             headers=responder).json()["versions"]] == [1]


def test_admin_override_is_recorded_and_markup_is_escaped(
    client: TestClient, responder: dict[str, str], admin: dict[str, str], incident: Incident,
    fixed: FixedClock,
) -> None:
    notice = draft(client, responder, incident.key, "en",
                   good("en", fixed, what_happened="Links failed <script>alert(1)</script>"))
    body = {"override_reason": "Testing that markup is shown as text."}
    url = f"/api/v1/notices/{notice['id']}/publish"
    assert client.post(url, headers=responder, json=body).status_code == 403
    published = client.post(url, headers=admin, json=body)
    assert published.status_code == 201 and published.json()["override_reason"] == body["override_reason"]
    page = client.get(f"/status/incidents/{incident.key}?lang=en").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page


def test_status_page_shows_the_correction_struck_through(client: TestClient, story: dict) -> None:
    page = client.get(f"/status/incidents/{story['key']}", params={"lang": "en"})
    assert page.status_code == 200 and page.headers["content-language"] == "en"
    html = page.text
    assert "<del>We said that creating links still worked.</del>" in html
    assert "<ins>Creating links also failed between 09:00 and 09:40 UTC.</ins>" in html
    # The page leads with the current notice (the original with the correction applied)...
    assert html.index("<h1>Short links are not opening") < html.index("Current notice")
    assert html.index("Current notice") < html.index("What happened") < html.index("Full timeline")
    assert ("<del>Everyone who opens a short link. Creating links still works.</del> "
            "<ins>Everyone who opened or created a short link.</ins>") in html
    # ...then every version as published, newest first: the original stays readable.
    timeline = html[html.index("Full timeline"):]
    assert timeline.index("Correction · Creating links also failed") < timeline.index(
        "Notice · Short links are not opening")
    assert "Correction · Correction" not in html and "Correction: creating" not in html
    assert '<html lang="en">' in html


def test_language_comes_from_the_query_then_accept_language(client: TestClient, story: dict) -> None:
    pt = client.get("/status", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    assert pt.headers["content-language"] == "pt-BR" and "Links curtos não estão abrindo" in pt.text
    assert "Links: " in pt.text and "Indisponível" in pt.text
    en = client.get("/status?lang=en", headers={"Accept-Language": "pt-BR"})
    assert "Short links are not opening</a>" in en.text
    assert "Correction</strong> · Creating links also failed" in en.text
    assert client.get("/status?lang=de").status_code == 422
    # No [comms.subscribers] receiver here: no sign-up form that could only fail.
    assert 'action="/status/subscribe"' not in pt.text + en.text


def test_feed_json_and_banner_carry_every_version(client: TestClient, story: dict) -> None:
    feed = client.get("/status/feed.atom?lang=en")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert feed.text.count("<entry>") == 2
    data = client.get("/status.json?lang=en").json()
    versions = data["active"][0]["versions"]
    assert [v["kind"] for v in versions] == ["correction", "initial"]
    assert data["components"] == [{"name": "Links", "status": "outage"},
                                  {"name": "Accounts", "status": "operational"}]
    banner = client.get("/api/v1/banner", params={"lang": "pt-BR"}).json()
    assert banner["show"] and banner["items"][0]["key"] == story["key"]


def test_nothing_internal_reaches_any_public_surface(client: TestClient, story: dict) -> None:
    urls = ["/status", f"/status/incidents/{story['key']}", "/status/feed.atom", "/status.json",
            "/api/v1/banner"]
    for lang in ("pt-BR", "en"):
        for url in urls:
            body = client.get(url, params={"lang": lang}).text
            leaked = [s for s in INTERNAL if s in body]
            assert leaked == [], (url, lang, leaked)


def test_publishing_times_are_on_the_incident(
    client: TestClient, responder: dict[str, str], story: dict
) -> None:
    incident = client.get(f"/api/v1/incidents/{story['key']}", headers=responder).json()
    assert incident["first_notice_at"] == "2026-03-02T09:06:00Z"
    events = client.get(f"/api/v1/incidents/{story['key']}/events", headers=responder).json()
    assert [e["type"] for e in events][-3:] == ["notice.published", "notice.published",
                                               "notice.corrected"]


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "needle"),
    [
        ("post", "/api/v1/incidents/{key}/notices", {"lang": "fr", "content": {}}, 422, "lang"),
        ("post", "/api/v1/incidents/{key}/notices", {"lang": "en", "content": {"x": 1}}, 422,
         "content.x"),
        ("post", "/api/v1/incidents/INC-999/notices", {"lang": "en", "content": {}}, 404,
         "no incident"),
        ("post", "/api/v1/notices/999/publish", None, 404, "no notice 999"),
        ("post", "/api/v1/notices/{id}/versions", {"kind": "initial", "content": {}}, 422,
         "kind 'initial' is set by Candor"),
        ("post", "/api/v1/notices/{id}/publish", {"override_reason": "short"}, 422,
         "override_reason"),
        ("get", "/status/incidents/INC-999", None, 404, "no public notice"),
    ],
)
def test_bad_input_gets_a_precise_problem(
    client: TestClient, responder: dict[str, str], story: dict, method: str, url: str,
    body: Any, status: int, needle: str,
) -> None:
    url = url.format(key=story["key"], id=story["ids"]["en"])
    before = client.get(f"/api/v1/notices/{story['ids']['en']}", headers=responder).json()
    response = getattr(client, method)(url, headers=responder,
                                       **({"json": body} if body is not None else {}))
    assert response.status_code == status, response.text
    assert needle in response.text
    after = client.get(f"/api/v1/notices/{story['ids']['en']}", headers=responder).json()
    assert after == before


def test_outbox_admin_lists_and_redelivers_only_dead_messages(
    client: TestClient, admin: dict[str, str], responder: dict[str, str]
) -> None:
    assert client.get("/api/v1/outbox", headers=responder).status_code == 403
    assert client.get("/api/v1/outbox?state=dead", headers=admin).json() == []
    assert client.get("/api/v1/outbox?state=lost", headers=admin).status_code == 422
    missing = client.post("/api/v1/outbox/41/redeliver", headers=admin)
    assert missing.status_code == 404 and "no outbox message 41" in missing.text


def test_press_release_and_support_reply_drafts_come_from_public_words(
    client: TestClient, responder: dict[str, str], viewer: dict[str, str], story: dict
) -> None:
    key = story["key"]
    press = client.get(f"/api/v1/incidents/{key}/press-release?lang=en", headers=responder)
    assert press.status_code == 200 and press.headers["content-type"].startswith("text/markdown")
    assert press.text.startswith("**DRAFT — needs approval before anything is sent**")
    assert "~~We said that creating links still worked.~~" in press.text
    reply = client.get(f"/api/v1/incidents/{key}/support-reply?lang=pt-BR", headers=responder)
    assert reply.text.startswith("Olá,\n\nObrigado por nos avisar.")
    assert f"/status/incidents/{key}?lang=pt-BR" in reply.text
    for body in (press.text, reply.text):
        assert [s for s in INTERNAL if s in body] == []
    assert client.get(f"/api/v1/incidents/{key}/press-release", headers=viewer).status_code == 403
    # README: drafts for people to send are for responders (a viewer reads the status page)
    assert client.get(f"/api/v1/incidents/{key}/support-reply", headers=viewer).status_code == 403


def test_press_release_pdf_carries_the_headline_and_the_correction_and_is_never_sent(
    client: TestClient, responder: dict[str, str], runtime: Runtime, story: dict,
    tmp_path: Path,
) -> None:
    key = story["key"]
    with runtime.unit() as s:
        queued = len(s.exec(select(OutboxMessage)).all())
    pdf = client.get(f"/api/v1/incidents/{key}/press-release?lang=en&format=pdf",
                     headers=responder)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert f'filename="{key}-press-release-draft-en.pdf"' in pdf.headers["content-disposition"]
    (tmp_path / "press.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "press.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "DRAFT — needs approval before anything is sent" in flat
    assert "Short links are not opening" in flat  # the headline: the incident, not the correction
    assert "We said that creating links still worked." in flat
    assert "Creating links also failed between 09:00 and 09:40 UTC." in flat
    assert [s for s in INTERNAL if s in flat] == []
    with runtime.unit() as s:
        assert len(s.exec(select(OutboxMessage)).all()) == queued  # a draft, never sent
    bad = client.get(f"/api/v1/incidents/{key}/press-release?format=docx", headers=responder)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "query:format"


def test_drafts_need_a_published_notice_and_press_needs_wide_impact(
    client: TestClient, responder: dict[str, str], runtime: Runtime, fixed: FixedClock
) -> None:
    from tests.monitor.comms.conftest import open_incident

    minor = open_incident(runtime, severity="SEV3", title="Avatars slow")
    none_yet = client.get(f"/api/v1/incidents/{minor.key}/support-reply?lang=en", headers=responder)
    assert none_yet.status_code == 409 and "publish one first" in none_yet.text
    notice = draft(client, responder, minor.key, "en", good("en", fixed))
    client.post(f"/api/v1/notices/{notice['id']}/publish", headers=responder)
    press = client.get(f"/api/v1/incidents/{minor.key}/press-release?lang=en", headers=responder)
    assert press.status_code == 409 and "widest impact" in press.text
    assert client.get(f"/api/v1/incidents/{minor.key}/support-reply?lang=xx",
                      headers=responder).status_code == 422


def test_every_timestamp_carries_its_zone_on_sqlite(
    client: TestClient, responder: dict[str, str], admin: dict[str, str], story: dict
) -> None:
    """Notices, postmortems, action items and the outbox answer ``…Z`` on SQLite as on
    PostgreSQL: every datetime column is the one UTC type (``monitor.db.types``)."""
    key = story["key"]
    base = f"/api/v1/incidents/{key}/postmortem"
    assert client.post(base, headers=responder, json={}).status_code == 201
    item = client.post(f"{base}/action-items", headers=responder, json={
        "title": "Validate units", "type": "prevent", "owner": "@bruno", "due": "2026-03-16"})
    assert item.status_code == 201, item.text
    answers = [client.get(f"/api/v1/notices/{story['ids']['en']}", headers=responder).json(),
               client.get(f"/api/v1/incidents/{key}/notices", headers=responder).json(),
               client.get(base, headers=responder).json(),
               client.get(f"{base}/versions", headers=responder).json(),
               client.get(f"{base}/action-items", headers=responder).json(),
               client.get("/api/v1/outbox", headers=admin).json()]
    stamps = [text for answer in answers for text in _strings(answer)
              if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)]
    assert len(stamps) > 10
    assert [s for s in stamps if not s.endswith(("Z", "+00:00"))] == []


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_every_datetime_column_is_the_one_utc_type() -> None:
    plain = [f"{table.name}.{column.name}" for table in SQLModel.metadata.sorted_tables
             for column in table.columns
             if isinstance(column.type, DateTime) and not isinstance(column.type, UTCDateTime)]
    assert plain == []
    assert len([c for t in SQLModel.metadata.sorted_tables for c in t.columns
                if isinstance(c.type, UTCDateTime)]) > 20
