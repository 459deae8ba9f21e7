"""Story: responders draft a notice, the linter guards it, and published words never change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from monitor.api.runtime import Runtime
from monitor.clock import FixedClock
from monitor.comms import service
from monitor.comms.models import Kind, NoticeVersion
from monitor.errors import Conflict, Forbidden, Unprocessable
from monitor.incidents import service as incidents
from monitor.incidents.models import Incident
from tests.monitor.comms.conftest import open_incident
from tests.monitor.comms.factories import content


def publish_first(runtime: Runtime, incident: Incident, lang: str = "en", **changes: object):
    with runtime.unit() as s:
        notice = service.draft(s, incident, lang=lang, clock=runtime.clock, actor="ana",
                               content=content(lang, runtime.clock.now() + timedelta(minutes=30),
                                               **changes))
        version = service.publish(s, notice, actor="ana", is_admin=False, clock=runtime.clock,
                                  settings=runtime.settings)
        return notice, version


def test_publishing_sets_first_notice_and_records_the_event(
    runtime: Runtime, incident: Incident, fixed: FixedClock
) -> None:
    fixed.advance(minutes=7)
    notice, version = publish_first(runtime, incident)
    assert (version.version, version.kind, version.previous_id) == (1, "initial", None)
    assert "What you should do: Nothing." in version.text
    assert version.channels == ["status_page", "banner", "subscribers", "press"]
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        assert row.first_notice_at is not None and row.detected_at is not None
        assert (row.first_notice_at - row.detected_at).total_seconds() == 420
        assert incidents.events(s, row)[-1].type == "notice.published"
        assert service.get_or_raise(s, notice.id).draft is None


def test_lint_errors_block_publishing_and_nothing_is_stored(
    runtime: Runtime, incident: Incident
) -> None:
    with pytest.raises(Unprocessable) as caught:
        publish_first(runtime, incident, what_happened="Our provider failed (10.0.0.12).")
    assert "2 blocking lint finding(s)" in caught.value.detail
    assert {p.loc for p in caught.value.problems} == {"$.content.what_happened"}
    with runtime.unit() as s:
        assert s.exec(select(NoticeVersion)).all() == []
        row = incidents.get_by_key_or_raise(s, incident.key)
        assert row.first_notice_at is None and row.event_count == 1


def test_only_an_admin_overrides_and_the_reason_is_kept(runtime: Runtime, incident: Incident) -> None:
    bad = content("en", what_happened="Our provider failed.")
    reason = "Legal asked us to name the provider in this notice."
    with runtime.unit() as s:
        notice = service.draft(s, incident, lang="en", content=bad, actor="ana", clock=runtime.clock)
        with pytest.raises(Forbidden):
            service.publish(s, notice, actor="ana", is_admin=False, clock=runtime.clock,
                            settings=runtime.settings, override_reason=reason)
        version = service.publish(s, notice, actor="root", is_admin=True, clock=runtime.clock,
                                  settings=runtime.settings, override_reason=reason)
    assert version.override_reason == reason
    assert "blame.shift" in {f["rule"] for f in version.lint["findings"]}


def test_missing_parts_block_publishing(runtime: Runtime, incident: Incident) -> None:
    with pytest.raises(Unprocessable) as caught:
        publish_first(runtime, incident, who_is_affected="  ")
    assert [p.loc for p in caught.value.problems] == ["$.content.who_is_affected"]


def test_a_correction_is_a_new_linked_version_and_all_versions_stay(
    runtime: Runtime, incident: Incident, fixed: FixedClock
) -> None:
    notice, first = publish_first(runtime, incident)
    fixed.advance(minutes=20)
    fix = content("en", title="Correction: creating links was also affected",
                  what_was_wrong="We said creating links still worked.",
                  what_is_right="Creating links also failed between 09:00 and 09:40 UTC.")
    with runtime.unit() as s:
        notice = service.get_or_raise(s, notice.id)
        second = service.publish_version(s, notice, kind=Kind.CORRECTION, content=fix, actor="ana",
                                         is_admin=False, clock=runtime.clock,
                                         settings=runtime.settings)
        assert (second.version, second.previous_id, second.kind) == (2, first.id, "correction")
        assert "What we said that was wrong: We said creating links still worked." in second.text
        assert [v.version for v in service.versions(s, notice)] == [1, 2]
        assert incidents.events(s, incidents.get_by_key_or_raise(s, incident.key))[-1].type == (
            "notice.corrected")


def test_a_retraction_is_final(runtime: Runtime, incident: Incident) -> None:
    notice, _ = publish_first(runtime, incident)
    retraction = content("en", title="False alarm", retraction_reason="Links worked all along; "
                         "our check was wrong.")
    with runtime.unit() as s:
        notice = service.get_or_raise(s, notice.id)
        service.publish_version(s, notice, kind=Kind.RETRACTION, content=retraction, actor="ana",
                                is_admin=False, clock=runtime.clock, settings=runtime.settings)
        with pytest.raises(Conflict, match="a retraction is final"):
            service.publish_version(s, notice, kind=Kind.UPDATE, content=content("en"),
                                    actor="ana", is_admin=False, clock=runtime.clock,
                                    settings=runtime.settings)


def test_published_versions_cannot_be_changed_even_by_sql(runtime: Runtime, incident: Incident) -> None:
    publish_first(runtime, incident)
    for statement in ("UPDATE notice_version SET text = 'rewritten'", "DELETE FROM notice_version"):
        with pytest.raises(DatabaseError, match="append-only"), runtime.unit() as s:
            s.execute(text(statement))
    with runtime.unit() as s:
        assert "rewritten" not in s.exec(select(NoticeVersion)).one().text


def test_append_only_guard_holds_on_sqlite_and_postgres(store, settings, clock) -> None:
    runtime = Runtime(settings=settings, engine=store, clock=clock)
    publish_first(runtime, open_incident(runtime))
    with pytest.raises(DatabaseError, match="append-only"), runtime.unit() as s:
        s.execute(text("UPDATE notice_version SET text = 'rewritten'"))
    with pytest.raises(DatabaseError, match="append-only"), runtime.unit() as s:
        s.execute(text("DELETE FROM notice_version"))
