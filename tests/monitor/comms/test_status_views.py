"""Story: after a correction, several corrections, a correction in one language only, or a
retraction, every public view leads with the current notice, keeps the corrected statement
openly visible (struck through) beside the right one, and reads one title, once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.clock import FixedClock
from monitor.comms.render import page
from monitor.comms.status import bare_title, current_notice
from monitor.incidents.models import Incident
from tests.monitor.comms.test_api import draft, good


def _version(kind: str, n: int, **content: Any) -> dict[str, Any]:
    return {"incident": "INC-1", "notice_id": 1, "version": n, "kind": kind, "lang": "en",
            "title": bare_title(content.get("title", "")), "content": content, "text": "",
            "published_at": f"2026-03-02T09:{n:02d}:00+00:00",
            "published_at_text": f"2026-03-02 09:{n:02d} UTC", "next_update_text": ""}


FIRST = {"title": "Short links are not opening", "what_happened": "Links show an error page.",
         "who_is_affected": "Everyone opening a link. Creating links still works.",
         "what_we_are_doing": "Undoing the change.", "what_users_should_do": "Nothing.",
         "next_update_at": "2026-03-02T10:00:00+00:00"}


def test_the_current_notice_applies_corrections_and_keeps_what_they_replaced() -> None:
    versions = [
        _version("initial", 1, **FIRST),
        _version("correction", 2, title="Correction: creating links also failed",
                 what_was_wrong="We said creating links worked.", what_is_right="It failed too.",
                 who_is_affected="Everyone opening or creating a link.",
                 what_users_should_do="Create links made after 09:00 again."),
        _version("correction", 3, title="Correção: Correction — the start time",
                 what_was_wrong="We said 09:00.", what_is_right="It started at 08:50.",
                 what_users_should_do="Create links made after 08:50 again."),
    ]
    current = current_notice(versions)
    assert current["title"] == "Short links are not opening"  # the notice's, not a correction's
    assert current["content"]["what_happened"] == "Links show an error page."  # still there
    assert current["content"]["who_is_affected"] == "Everyone opening or creating a link."
    assert current["was"] == {"who_is_affected": FIRST["who_is_affected"],
                              "what_users_should_do": "Nothing."}  # the original statement
    assert current["content"]["what_users_should_do"] == "Create links made after 08:50 again."
    assert [c["version"] for c in current["corrections"]] == [3, 2]  # newest first
    assert [c["title"] for c in current["corrections"]] == ["The start time",
                                                            "Creating links also failed"]
    assert current["content"]["next_update_at"] == FIRST["next_update_at"]
    assert current["updated_at_text"] == "2026-03-02 09:03 UTC"
    assert current["retraction"] is None


def test_an_update_starts_a_fresh_statement_and_a_retraction_withdraws_it() -> None:
    versions = [
        _version("initial", 1, **FIRST),
        _version("correction", 2, title="Correction", what_was_wrong="a", what_is_right="b",
                 what_users_should_do="Do c."),
        _version("update", 3, **{**FIRST, "title": "Short links open again",
                                  "what_users_should_do": "Nothing more."}),
    ]
    current = current_notice(versions)
    assert current["title"] == "Short links open again" and current["was"] == {}
    assert len(current["corrections"]) == 1  # still openly visible
    withdrawn = current_notice([*versions, _version(
        "retraction", 4, title="Retraction: false alarm", retraction_reason="Our test traffic.")])
    assert withdrawn["retraction"]["version"] == 4 and withdrawn["kind"] == "retraction"
    assert withdrawn["title"] == "Short links open again"
    assert withdrawn["content"]["retraction_reason"] == "Our test traffic."
    assert withdrawn["content"]["next_update_at"] is None  # no update is coming


@pytest.mark.parametrize(("title", "bare"), [
    ("Correction: creating links also failed", "Creating links also failed"),
    ("Correção: Correção: criar links também falhou", "Criar links também falhou"),
    ("UPDATE - links work", "Links work"),
    ("Retratação — alarme falso", "Alarme falso"),
    ("Correction", "Correction"),  # nothing left: keep what was written
    ("Updates to billing are slow", "Updates to billing are slow"),
])
def test_titles_lose_the_kind_words_typed_in_front(title: str, bare: str) -> None:
    assert bare_title(title) == bare


def _publish(client: TestClient, headers: dict[str, str], notice: int, kind: str,
             content: dict[str, Any]) -> None:
    response = client.post(f"/api/v1/notices/{notice}/versions", headers=headers,
                           json={"kind": kind, "content": content})
    assert response.status_code == 201, response.text


@pytest.fixture
def published(client: TestClient, responder: dict[str, str], incident: Incident,
              fixed: FixedClock) -> dict[str, Any]:
    fixed.advance(minutes=6)
    ids = {}
    for lang in ("pt-BR", "en"):
        ids[lang] = draft(client, responder, incident.key, lang, good(lang, fixed))["id"]
        assert client.post(f"/api/v1/notices/{ids[lang]}/publish", headers=responder).status_code == 201
    return {"key": incident.key, "ids": ids}


CORRECTION = {"title": "Correction: creating links also failed",
              "what_was_wrong": "We said that creating links still worked.",
              "what_is_right": "Creating links also failed between 09:00 and 09:40 UTC.",
              "what_users_should_do": "If you created a link then, please create it again."}


def test_several_corrections_in_one_language_only(
    client: TestClient, responder: dict[str, str], published: dict[str, Any], fixed: FixedClock
) -> None:
    key, en = published["key"], published["ids"]["en"]
    fixed.advance(minutes=10)
    _publish(client, responder, en, "correction", CORRECTION)
    fixed.advance(minutes=5)
    _publish(client, responder, en, "correction", {
        "title": "Correction: Correction: the start time", "what_was_wrong": "We said 09:00.",
        "what_is_right": "It started at 08:50 UTC.",
        "what_users_should_do": "If you created a link after 08:50 UTC, please create it again."})
    front = client.get("/status?lang=en").text
    assert front.count("Short links are not opening</a>") == 1
    assert front.index("Since 09:00 UTC many short links") > front.index("The start time")
    assert "<del>We said that creating links still worked.</del>" in front
    assert "<del>We said 09:00.</del>" in front
    assert "Correction · Correction" not in front and "Correction: Correction" not in front
    assert "Next update" in front  # the promise of the original notice still stands
    # pt-BR readers were never told the wrong thing: nothing changes for them.
    pt = client.get("/status?lang=pt-BR").text
    assert "<del>" not in pt and "Correção" not in pt and "Correction" not in pt
    feed = client.get("/status/feed.atom?lang=en").text
    assert "<title>Correction: The start time</title>" in feed
    assert "<title>Correction: Creating links also failed</title>" in feed
    assert "Correction: Correction" not in feed
    banner = client.get("/api/v1/banner?lang=en").json()["items"][0]
    assert banner["title"] == "Short links are not opening"
    assert banner["what_happened"].startswith("Since 09:00 UTC many short links")
    assert banner["what_users_should_do"].startswith("If you created a link after 08:50 UTC")
    assert [c["what_is_right"] for c in banner["corrections"]] == [
        "It started at 08:50 UTC.", CORRECTION["what_is_right"]]
    assert banner["next_update_at"] and banner["kind"] == "correction"
    data = client.get("/status.json?lang=en").json()["active"][0]
    assert data["title"] == "Short links are not opening"
    assert data["current"]["was"]["what_users_should_do"].startswith("Nothing.")
    assert client.get(f"/status/incidents/{key}?lang=pt-BR").text.count("<article") == 2


def test_after_a_retraction_the_withdrawn_notice_stays_visible_struck_through(
    client: TestClient, responder: dict[str, str], published: dict[str, Any], fixed: FixedClock
) -> None:
    key, en = published["key"], published["ids"]["en"]
    fixed.advance(minutes=10)
    _publish(client, responder, en, "retraction", {
        "title": "Retraction: short links were working",
        "retraction_reason": "Our alarm counted test traffic; no user saw an error."})
    front = client.get("/status?lang=en").text
    history = front[front.index("Recent history"):]
    assert "Short links are not opening</a> — False alarm (retracted)" in history
    assert "Our alarm counted test traffic" in history
    page = client.get(f"/status/incidents/{key}?lang=en").text
    current = page[page.index("Current notice"):page.index("Full timeline")]
    assert "We withdrew this notice" in current
    assert "<del>Since 09:00 UTC many short links" in current  # withdrawn, not erased
    assert "Next update" not in current
    banner = client.get("/api/v1/banner?lang=en").json()
    assert banner["show"] and banner["items"][0]["state"] == "retracted"
    assert banner["items"][0]["retraction_reason"].startswith("Our alarm counted")
    assert banner["items"][0]["text"].startswith("Our alarm counted")
    fixed.advance(hours=25)
    assert client.get("/api/v1/banner?lang=en").json()["show"] is False
    feed = client.get("/status/feed.atom?lang=en").text
    assert "<title>Retraction: Short links were working</title>" in feed
    # Still open in Portuguese (no retraction there): it stays current for those readers.
    assert "Links curtos não estão abrindo</a>" in client.get("/status?lang=pt-BR").text


def test_the_status_page_shows_no_empty_components_heading(
    client: TestClient, published: dict[str, Any]
) -> None:
    assert "Components" in client.get("/status?lang=en").text  # configured here
    html = page("status.html.j2", lang="en", title="EVERLINKS status", components=[],
                active=[], history=[], signup=False)
    assert "Components" not in html and "No known problems right now." in html


def test_history_is_titled_by_the_incident_once_resolved(
    client: TestClient, responder: dict[str, str], published: dict[str, Any], fixed: FixedClock
) -> None:
    key, en = published["key"], published["ids"]["en"]
    fixed.advance(minutes=10)
    _publish(client, responder, en, "correction", CORRECTION)
    for state in ("acknowledged", "verifying", "resolved"):
        moved = client.post(f"/api/v1/incidents/{key}/transitions", headers=responder,
                            json={"to": state})
        assert moved.status_code == 200, moved.text
    front = client.get("/status?lang=en").text
    history = front[front.index("Recent history"):]
    assert "Short links are not opening</a> — Resolved" in history
    assert "Creating links also failed</a>" not in history


def test_several_corrections_then_a_retraction_and_a_correction_in_the_other_language(
    client: TestClient, responder: dict[str, str], published: dict[str, Any], fixed: FixedClock
) -> None:
    """English: two corrections, then the notice is withdrawn; Portuguese: one correction of
    its own. Each language's views follow only its own versions, keep every corrected and
    withdrawn statement visible (struck through), and read one title."""
    key, en, pt = published["key"], published["ids"]["en"], published["ids"]["pt-BR"]
    fixed.advance(minutes=10)
    _publish(client, responder, en, "correction", CORRECTION)
    fixed.advance(minutes=5)
    _publish(client, responder, en, "correction", {
        "title": "Correction: the start time", "what_was_wrong": "We said 09:00.",
        "what_is_right": "It started at 08:50 UTC.",
        "what_users_should_do": "If you created a link after 08:50 UTC, please create it again."})
    fixed.advance(minutes=5)
    _publish(client, responder, pt, "correction", {
        "title": "Correção: o horário de início", "what_was_wrong": "Dissemos 9h.",
        "what_is_right": "Começou às 8h50 (UTC).",
        "what_users_should_do": "Se você criou um link depois das 8h50, crie de novo."})
    fixed.advance(minutes=5)
    _publish(client, responder, en, "retraction", {
        "title": "Retraction: short links were working",
        "retraction_reason": "Our alarm counted test traffic; no user saw an error."})

    page_en = client.get(f"/status/incidents/{key}?lang=en").text
    current = page_en[page_en.index("Current notice"):page_en.index("Full timeline")]
    assert "We withdrew this notice" in current and "Our alarm counted test traffic" in current
    assert "<del>Since 09:00 UTC many short links" in current  # withdrawn, not erased
    assert "Next update" not in current  # no update is coming for a withdrawn notice
    assert page_en.count("<article") == 5  # initial, two corrections, retraction, pt-BR
    for struck in ("We said that creating links still worked.", "We said 09:00."):
        assert f"<del>{struck}</del>" in page_en
    assert "Correction: Correction" not in page_en and "Retraction: Retraction" not in page_en

    front_en = client.get("/status?lang=en").text
    history = front_en[front_en.index("Recent history"):]
    assert history.count("Short links are not opening</a>") == 1
    assert "Short links are not opening</a> — False alarm (retracted)" in history

    # Portuguese readers: their own correction applied, nothing withdrawn, the English
    # corrections and retraction never shown in their language
    front_pt = client.get("/status?lang=pt-BR").text
    assert front_pt.count("Links curtos não estão abrindo</a>") == 1
    assert "<del>Dissemos 9h.</del>" in front_pt and "Começou às 8h50 (UTC)." in front_pt
    assert "Se você criou um link depois das 8h50, crie de novo." in front_pt
    for english in ("We said 09:00.", "Our alarm counted", "Retraction", "Correction"):
        assert english not in front_pt

    banner_en = client.get("/api/v1/banner?lang=en").json()["items"][0]
    assert (banner_en["state"], banner_en["title"]) == ("retracted", "Short links are not opening")
    assert [c["what_is_right"] for c in banner_en["corrections"]] == [
        "It started at 08:50 UTC.", CORRECTION["what_is_right"]]
    banner_pt = client.get("/api/v1/banner?lang=pt-BR").json()["items"][0]
    assert banner_pt["kind"] == "correction" and banner_pt["state"] != "retracted"
    assert [c["what_is_right"] for c in banner_pt["corrections"]] == ["Começou às 8h50 (UTC)."]
    assert banner_pt["next_update_at"]  # the Portuguese promise still stands

    feed_en = client.get("/status/feed.atom?lang=en").text
    titles = feed_en.split("<title>")[2:]  # after the feed's own title
    assert [t.split("</title>")[0] for t in titles][:3] == [
        "Retraction: Short links were working", "Correction: The start time",
        "Correction: Creating links also failed"]
    feed_pt = client.get("/status/feed.atom?lang=pt-BR").text
    assert "Correção: O horário de início" in feed_pt and "Retraction" not in feed_pt
