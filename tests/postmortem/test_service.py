"""Drafting, the review workflow, versions, overlays and action items, on a real store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from monitor import db
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.config.postmortem import PostmortemSettings
from monitor.errors import Conflict, NotFound, Unprocessable
from monitor.incidents import service as incidents
from postmortem import examples, service
from postmortem.models import (
    ActionItemCreate,
    ActionItemUpdate,
    AnnotationCreate,
    ContentPatch,
    PostmortemVersion,
)

GOOD = ContentPatch(
    executive_summary="Links failed for 23 minutes.", customer_impact="A third of redirects failed.",
    lead_up="A config push.", trigger="Pool size units differ.", fault="Too few upstreams.",
    detection="An alert after 2 minutes.", response="Acknowledged in 3 minutes.",
    recovery="Rolled back.", root_causes=["No per-region validation of config units."],
)


def test_resolved_sev2_is_drafted_with_what_events_tell(runtime, story, clock):
    with runtime.unit() as s:
        pm = service.draft_for_incident(s, story, clock, runtime.settings)
        assert pm is not None and pm.status == "draft"
        assert pm.content["detection"] == ("Detected at 2026-03-02 09:00:00 UTC by the alert "
                                           "RedirectErrorsHigh, 2m 00s after impact started.")
        assert pm.content["recovery"] == "Fix deployed: Roll back redirector config to 2026-02-27.3."
        assert pm.content["response"] == ("Acknowledged by @ana 3m 00s after detection. First public "
                                          "notice 11m 00s after impact started. 1 correction published.")
        assert service.draft_for_incident(s, story, clock, runtime.settings) is None  # only once
        assert [e.type for e in service.history(s, pm)] == ["postmortem.drafted"]


def test_a_draft_is_prefilled_in_the_configured_language(make_settings, make_runtime, clock):
    runtime = make_runtime(make_settings(postmortem={"default_lang": "pt-BR"}))
    with runtime.unit() as s:
        incident = examples.demo_incident(s, clock, runtime.settings)
        pm = service.draft_for_incident(s, incident, clock, runtime.settings)
        assert pm is not None
        assert pm.content["detection"] == ("Detectado em 02/03/2026 09:00:00 UTC pelo alerta "
                                           "RedirectErrorsHigh, 2 min 00s após o início do impacto.")
        assert pm.content["recovery"].startswith("Correção implantada: Roll back")


def test_severities_not_configured_are_not_drafted(make_settings, make_runtime, clock):
    runtime = make_runtime(make_settings())
    with runtime.unit() as s:
        incident = examples.demo_incident(s, clock, runtime.settings)
        incidents.change_severity(s, incident, "SEV4", actor="@ana", clock=clock)
        assert service.draft_for_incident(s, incident, clock, runtime.settings) is None
        assert service.draft_due(s, clock=clock, settings=runtime.settings) == []


def test_draft_due_sweeps_resolved_incidents(runtime, story, clock):
    with runtime.unit() as s:
        assert service.draft_due(s, clock=clock, settings=runtime.settings) == ["INC-1"]
        assert service.draft_due(s, clock=clock, settings=runtime.settings) == []


def test_review_submit_approve_publish_then_edit_makes_version_two(runtime, story, clock):
    settings = runtime.settings
    with runtime.unit() as s:
        pm = service.create(s, story, actor="@ana", clock=clock)
        service.edit(s, pm, GOOD, actor="@ana", clock=clock)
        service.review(s, pm, "submit", actor="@ana", clock=clock, settings=settings)
        with pytest.raises(Conflict, match="request_changes"):
            service.edit(s, pm, ContentPatch(fault="x"), actor="@ana", clock=clock)
        service.review(s, pm, "approve", actor="@dora", clock=clock, settings=settings)
        assert pm.status == "reviewed" and service.approvals(s, pm) == ["@dora"]
        service.review(s, pm, "publish", actor="@dora", clock=clock, settings=settings)
        assert (pm.status, pm.version) == ("published", 1)
        clock.advance(hours=1)
        service.edit(s, pm, ContentPatch(fault="Two upstreams could not carry the load."),
                     actor="@ana", clock=clock)
        old, new = service.versions(s, pm)
        assert (old.version, new.version, pm.version) == (1, 2, 2)
        assert old.content["fault"] == "Too few upstreams." and "Two upstreams" in new.content["fault"]
        assert [e.type for e in service.history(s, pm)] == [
            "postmortem.drafted", "postmortem.edited", "postmortem.submitted", "postmortem.approved",
            "postmortem.reviewed", "postmortem.published", "postmortem.edited"]


def test_submit_is_refused_while_the_lint_finds_errors(runtime, story, clock):
    with runtime.unit() as s:
        pm = service.create(s, story, actor="@ana", clock=clock)
        service.edit(s, pm, GOOD.model_copy(update={"fault": "Bruno forgot the canary."}),
                     actor="@ana", clock=clock)
        with pytest.raises(Unprocessable) as error:
            service.review(s, pm, "submit", actor="@ana", clock=clock, settings=runtime.settings)
        assert error.value.problems[0].loc == "$.content.fault"
        assert "blameless.person-caused" in error.value.problems[0].msg
        assert pm.status == "draft"


def test_two_approvals_when_configured_and_same_reviewer_cannot_approve_twice(runtime, story, clock):
    settings = Settings(postmortem=PostmortemSettings(required_approvals=2))
    with runtime.unit() as s:
        pm = service.create(s, story, actor="@ana", clock=clock)
        service.edit(s, pm, GOOD, actor="@ana", clock=clock)
        service.review(s, pm, "submit", actor="@ana", clock=clock, settings=settings)
        service.review(s, pm, "approve", actor="@dora", clock=clock, settings=settings)
        assert pm.status == "in_review"
        with pytest.raises(Conflict, match="already approved"):
            service.review(s, pm, "approve", actor="@dora", clock=clock, settings=settings)
        service.review(s, pm, "request_changes", actor="@eli", clock=clock, settings=settings)
        assert pm.status == "draft" and service.approvals(s, pm) == []
        service.review(s, pm, "submit", actor="@ana", clock=clock, settings=settings)
        for reviewer in ("@dora", "@eli"):
            service.review(s, pm, "approve", actor=reviewer, clock=clock, settings=settings)
        assert pm.status == "reviewed"


def test_moves_not_in_the_table_say_what_is_allowed(runtime, story, clock):
    with runtime.unit() as s:
        pm = service.create(s, story, actor="@ana", clock=clock)
        with pytest.raises(Conflict, match="allowed now: submit"):
            service.review(s, pm, "publish", actor="@ana", clock=clock, settings=runtime.settings)
        with pytest.raises(Conflict, match="already has a postmortem"):
            service.create(s, story, actor="@ana", clock=clock)


def test_overlay_on_a_missing_event_is_refused(runtime, story, clock):
    with runtime.unit() as s:
        with pytest.raises(Unprocessable, match="event_seq 999 does not exist"):
            service.annotate(s, story, AnnotationCreate(event_seq=999, kind="hide"), actor="a", clock=clock)
        with pytest.raises(Unprocessable, match="needs text"):
            service.annotate(s, story, AnnotationCreate(event_seq=1, kind="note"), actor="a", clock=clock)
        assert service.overlays(s, story) == []


def item(**overrides):
    values = {"title": "Validate units", "type": "prevent", "owner": "@bruno",
              "due": date(2026, 3, 16), "priority": "P1", "team": "sre"}
    return ActionItemCreate.model_validate({**values, **overrides})


def test_action_items_tracked_to_done_with_overdue_and_completion(runtime, story, clock):
    with runtime.unit() as s:
        first = service.add_item(s, story, item(), clock=clock)
        second = service.add_item(s, story, item(title="Canary", due=date(2026, 3, 3)), clock=clock)
        clock.advance(days=3)
        assert service.overdue_counts(s, clock.now().date()) == {("P1", "sre"): 1}
        service.update_item(s, second, ActionItemUpdate(status="done"), clock=clock)
        assert second.closed_at == clock.now()
        with pytest.raises(Unprocessable, match="needs a reason"):
            service.update_item(s, first, ActionItemUpdate(status="wont_do"), clock=clock)
        service.update_item(s, first, ActionItemUpdate(status="wont_do", reason="superseded"), clock=clock)
        assert service.completion(service.items(s, story)) == {"total": 2, "closed": 2, "ratio": 1.0}
        assert service.overdue_counts(s, clock.now().date()) == {}


def test_action_item_due_in_the_past_is_refused_and_nothing_stored(runtime, story, clock):
    with runtime.unit() as s:
        with pytest.raises(Unprocessable, match="due date 2026-03-01 is in the past"):
            service.add_item(s, story, item(due=date(2026, 3, 1)), clock=clock)
        assert service.items(s, story) == []


def test_item_of_another_incident_is_not_found(runtime, story, clock):
    with runtime.unit() as s:
        other = incidents.open_incident(s, clock=clock, key_prefix="INC", actor="a", title="t", severity="SEV3")
        row = service.add_item(s, other, item(), clock=clock)
        with pytest.raises(NotFound, match="INC-1 has no action item"):
            service.item_or_raise(s, story, db.id_of(row))


def test_versions_events_and_overlays_are_append_only_in_the_database(store):
    clock = FixedClock(examples.START)
    settings = Settings()
    with db.session(store) as s:
        incident = examples.demo_incident(s, clock, settings)
        examples.write_postmortem(s, clock, incident, settings)
    for table in ("postmortem_version", "postmortem_event", "timeline_annotation"):
        for statement in (f"UPDATE {table} SET actor = 'mallory'", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="append-only"), store.begin() as connection:
                connection.execute(text(statement))
    with db.session(store) as s:
        assert len(list(s.exec(select(PostmortemVersion)))) == 1


def test_edits_after_publish_keep_every_version_readable(runtime, clock):
    examples.build(runtime.engine, runtime.settings)
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, "INC-1")
        pm = service.get_or_raise(s, incident)
        for n in range(3):
            clock.advance(minutes=1)
            service.edit(s, pm, ContentPatch(got_lucky=[f"luck {n}"]), actor="@ana", clock=clock)
        assert [v.version for v in service.versions(s, pm)] == [1, 2, 3, 4]
        assert service.version_or_raise(s, pm, 1).content["got_lucky"][0].startswith("The push")
        with pytest.raises(NotFound, match="no version 9"):
            service.version_or_raise(s, pm, 9)
        assert timedelta(0) <= clock.now() - pm.updated_at
