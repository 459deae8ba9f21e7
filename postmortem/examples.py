"""The demo story as a postmortem: builds it in a store and writes the example reports.

``demo_incident(session, clock, settings)`` plays an EVERLINKS incident through
the incident service (alert, acknowledgement, notices, a correction, a fix,
verification) and writes its postmortem, overlays and action items.
``write_examples(out_dir)`` renders it to Markdown, HTML and PDF in both
languages plus a weekly digest; ``python -m postmortem.examples docs/examples``
regenerates the committed files (the tests compare the text ones).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlmodel import Session

from monitor import db
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.event_types import EventType
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import State
from monitor.incidents.models import Incident
from monitor.promql import MemoryStorage
from monitor.promsource import EmbeddedSource
from monitor.rules.loader import parse_rules
from postmortem import service
from postmortem.digest import load_digest
from postmortem.models import ActionItemCreate, AnnotationCreate, ContentPatch, ItemType, Why
from postmortem.render import render
from postmortem.report import load
from postmortem.signal import SignalSource

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IMPACT = START - timedelta(minutes=2)


def signal(start: datetime = IMPACT) -> list[tuple[datetime, float]]:
    """Share of redirects answered with 5xx, one point per 30 s, 08:40–10:00."""
    points = []
    for step in range(160):
        at = start - timedelta(minutes=18) + timedelta(seconds=30 * step)
        minutes = (at - start).total_seconds() / 60
        if 0 <= minutes < 20:
            value = 0.31 + 0.004 * (step % 3)
        elif 20 <= minutes < 24:
            value = 0.31 * (24 - minutes) / 4
        else:
            value = 0.004 + 0.001 * (step % 2)
        points.append((at, round(value * 100, 2)))
    return points


RULES = """
groups:
  - name: redirector
    rules:
      - alert: RedirectErrorsHigh
        expr: redirect_error_ratio{service="redirector"} > 0.05
        for: 1m
"""


def signal_source() -> SignalSource:
    """The demo's series store and rule: the chart goes through the same path as a live one."""
    storage = MemoryStorage()
    labels = {"__name__": "redirect_error_ratio", "service": "redirector", "region": "sa-east-1"}
    storage.add(labels, [(int(at.timestamp() * 1000), round(v / 100, 5)) for at, v in signal()])
    rules, problems = parse_rules(RULES, "examples.RULES")
    assert not problems, problems
    return SignalSource(EmbeddedSource(storage), rules.groups)


def demo_incident(session: Session, clock: FixedClock, settings: Settings) -> Incident:
    def at(minutes: float) -> None:
        clock.set(START + timedelta(minutes=minutes))

    def record(type: str, payload: dict[str, Any], actor: str) -> None:
        incidents.record(session, incident, type, payload, actor=actor, clock=clock)

    at(0)
    incident = incidents.open_incident(
        session, clock=clock, key_prefix=settings.incidents.key_prefix, actor="alertmanager",
        title="Short links return errors in South America", severity="SEV2",
        summary="About a third of redirects on everlinks.io failed with HTTP 502.",
        services=["redirector"], labels={"alertname": "RedirectErrorsHigh", "service": "redirector"},
        group_key="alertname=RedirectErrorsHigh,service=redirector", impact_started_at=IMPACT,
    )
    alert = {"fingerprint": "9f2c1ab04e", "alertname": "RedirectErrorsHigh",
             "labels": {"service": "redirector", "region": "sa-east-1"}, "source": "alertmanager"}
    record(EventType.ALERT_ATTACHED, alert, "alertmanager")
    at(1.5)
    record(EventType.ALERT_ATTACHED, {**alert, "fingerprint": "9f2c1ab04e-dup"}, "alertmanager")
    at(3)
    incidents.transition(session, incident, State.ACKNOWLEDGED, actor="@ana", clock=clock)
    incidents.assign_commander(session, incident, "@ana", actor="@ana", clock=clock)
    at(6)
    incidents.add_note(session, incident, "502s come from redirector pods in sa-east-1 only, "
                       "starting right after config push 2026-03-02.1.", actor="@bruno", clock=clock)
    at(9)
    record(EventType.NOTICE_PUBLISHED, {"lang": "en", "kind": "initial", "version": 1,
           "title": "Some short links are failing", "text": "Some short links fail to open. "
           "We are working on it and will update here within 30 minutes."}, "@carla")
    at(12)
    incidents.transition(session, incident, State.IDENTIFIED, actor="@ana", clock=clock,
                         reason="config push 2026-03-02.1 set a wrong upstream pool size")
    at(15)
    incidents.transition(session, incident, State.FIXING, actor="@ana", clock=clock)
    at(18)
    incidents.record_fix(session, incident, "Roll back redirector config to 2026-02-27.3",
                         release="redirector-config 2026-02-27.3", actor="@bruno", clock=clock)
    at(21)
    record(EventType.ALERT_RESOLVED, {"fingerprint": "9f2c1ab04e", "alertname": "RedirectErrorsHigh"},
           "alertmanager")
    record(EventType.ALERTS_ALL_RESOLVED, {}, "candor")
    incidents.transition(session, incident, State.VERIFYING, actor="candor", clock=clock,
                         reason="every alert has resolved; watching the signal")
    at(25)
    record(EventType.NOTICE_CORRECTED, {"lang": "en", "kind": "correction", "version": 2,
           "title": "Correction: only South America was affected",
           "text": "Our first notice said all users; only visitors in South America were affected."},
           "@carla")
    at(36)
    record(EventType.VERIFICATION_PASSED, {"window": "15m", "impact": {"failed_redirects": 48210,
           "users_affected": 12400, "error_budget_spent_pct": 38.5}}, "candor-verifier")
    incidents.transition(session, incident, State.RESOLVED, actor="candor-verifier", clock=clock,
                         reason="verified: the signal stayed healthy for 15m")
    at(40)
    record(EventType.NOTICE_UPDATED, {"lang": "en", "kind": "update", "version": 3,
           "title": "Resolved: short links work again",
           "text": "Short links work again since 09:21 UTC. We are sorry for the disruption."},
           "@carla")
    return incident


def write_postmortem(session: Session, clock: FixedClock, incident: Incident, settings: Settings) -> None:
    at = clock.set
    at(START + timedelta(hours=2))
    pm = service.draft_for_incident(session, incident, clock, settings)
    assert pm is not None
    for seq, kind, text in ((3, "hide", "duplicate of the first alert"), (6, "key_moment", ""),
                            (6, "note", "This observation narrowed the search to one push.")):
        service.annotate(session, incident, AnnotationCreate(event_seq=seq, kind=kind, text=text),
                         actor="@ana", clock=clock)
    patch = ContentPatch(
        executive_summary="For 23 minutes on 2 March, about a third of short links opened from "
        "South America failed with an error page. A configuration change sent traffic to too few "
        "servers. We rolled it back; links have worked normally since 09:21 UTC.",
        customer_impact="Visitors in South America saw an error page on roughly 31% of short "
        "links for 23 minutes: 48,210 failed redirects, about 12,400 people.",
        lead_up="A routine configuration push (2026-03-02.1) resized the upstream pool of the "
        "redirector in every region at 08:57 UTC.",
        trigger="The new pool size was read as an absolute count in sa-east-1, where the region "
        "template uses a different unit, leaving 2 upstreams instead of 20.",
        fault="With 2 upstreams the redirector in sa-east-1 queued requests until they timed out "
        "and answered 502.",
        response="The on-call engineer acknowledged in 3 minutes and took command. A note tying the "
        "502s to the push narrowed the search; the first public notice went out at T+11m.",
        recovery="Rolling the configuration back at 09:18 UTC restored service within three minutes; "
        "verification watched the signal for 15 minutes before resolving.",
        root_causes=["Region templates interpret pool_size in different units, and nothing checks it "
                     "before a push."],
        contributing_factors=["The config push has no canary region.",
                              "The first notice said all users were affected; it was corrected."],
        five_whys=[
            Why(question="Why did redirects fail?", answer="The sa-east-1 pool had 2 upstreams."),
            Why(question="Why only 2?", answer="The template read pool_size as a count, not a %."),
            Why(question="Why did the units differ?", answer="sa-east-1 was set up from an older template."),
            Why(question="Why was the difference not caught?", answer="Config pushes are not validated per region."),
            Why(question="Why is there no validation?", answer="Pushes were assumed to be uniform across regions."),
        ],
        went_well=["Alert fired 2 minutes after impact started.", "Rollback took under 3 minutes."],
        went_wrong=["The first notice overstated the affected area."],
        got_lucky=["The push happened outside the South American evening peak."],
    )
    at(START + timedelta(hours=3))
    service.edit(session, pm, patch, actor="@ana", clock=clock)
    for title, type, owner, days, priority in (
        ("Validate pool_size units per region before every config push", ItemType.PREVENT, "@bruno", 14, "P1"),
        ("Canary config pushes in one region for 10 minutes", ItemType.MITIGATE, "team:sre", 30, "P2"),
        ("Alert on upstream pool size below 50% of baseline", ItemType.DETECT, "@ana", 7, "P2"),
        ("Notice template: state the affected region explicitly", ItemType.PROCESS, "carla@everlinks.io", 10, "P3"),
    ):
        service.add_item(session, incident, ActionItemCreate(
            title=title, type=type, owner=owner, due=clock.now().date() + timedelta(days=days),
            priority=priority, team="sre",
            ticket_url="https://tracker.everlinks.io/SRE-" + str(400 + days)), clock=clock)
    service.review(session, pm, "submit", actor="@ana", clock=clock, settings=settings)
    service.review(session, pm, "approve", actor="@dora", clock=clock, settings=settings)
    service.review(session, pm, "publish", actor="@dora", clock=clock, settings=settings)


def other_incidents(session: Session, clock: FixedClock, settings: Settings) -> None:
    """A few more incidents around the demo one, so the digest has trends and a repeat."""
    plays = (  # (days from START, minutes to detect/ack/notice/restore, severity, service, title, retract)
        (-5, (4, 6, 20, 45), "SEV3", "redirector", "Slow redirects in Europe", False),
        (-4, (3, 10, 0, 30), "SEV2", "api", "Link creation API errors", False),
        (1, (1, 2, 8, 15), "SEV3", "redirector", "Redirect errors after cache flush", False),
        (2, (5, 0, 0, 0), "SEV4", "analytics", "Click counts delayed (false alarm)", True),
    )
    for days, (detect, ack, notice, restore), severity, svc, title, retract in plays:
        impact = START + timedelta(days=days)
        clock.set(impact + timedelta(minutes=detect))
        incident = incidents.open_incident(
            session, clock=clock, key_prefix=settings.incidents.key_prefix, actor="alertmanager",
            title=title, severity=severity, services=[svc], group_key=f"service={svc}",
            impact_started_at=impact,
        )
        if retract:
            incidents.transition(session, incident, State.RETRACTED, actor="@ana", clock=clock,
                                 reason="the alert's query counted test traffic")
            continue
        clock.set(impact + timedelta(minutes=detect + ack))
        incidents.transition(session, incident, State.ACKNOWLEDGED, actor="@ana", clock=clock)
        if notice:
            clock.set(impact + timedelta(minutes=notice))
            incidents.record(session, incident, EventType.NOTICE_PUBLISHED, {"lang": "pt-BR"},
                             actor="@carla", clock=clock)
        clock.set(impact + timedelta(minutes=restore))
        incidents.transition(session, incident, State.VERIFYING, actor="candor", clock=clock)
        clock.set(impact + timedelta(minutes=restore + 15))
        incidents.transition(session, incident, State.RESOLVED, actor="candor-verifier", clock=clock)


def build(engine: Any, settings: Settings) -> FixedClock:
    clock = FixedClock(START)
    with db.session(engine) as session:
        incident = demo_incident(session, clock, settings)
        write_postmortem(session, clock, incident, settings)
        other_incidents(session, clock, settings)
    return clock


def write_examples(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with TemporaryDirectory() as tmp:
        settings = Settings.model_validate({"storage": {"data_dir": tmp}})
        engine = db.make_engine(db.database_url(settings))
        db.upgrade(engine)
        try:
            build(engine, settings)
            now = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
            with db.session(engine) as session:
                report = load(session, "INC-1", now=now, source=signal_source())
                digest = load_digest(session, "week", now, settings=settings)
        finally:
            engine.dispose()
    for lang in ("en", "pt-BR"):
        for fmt in ("md", "html", "pdf"):
            path = out_dir / f"postmortem-INC-1.{lang}.{fmt}"
            output = render(report, fmt, lang)
            path.write_bytes(output if isinstance(output, bytes) else output.encode())
            written.append(path)
        for fmt in ("md", "html", "pdf"):
            path = out_dir / f"digest-week.{lang}.{fmt}"
            output = render(digest, fmt, lang, template="digest")
            path.write_bytes(output if isinstance(output, bytes) else output.encode())
            written.append(path)
    assert report.chart_svg
    (out_dir / "INC-1-signal.svg").write_text(report.chart_svg)
    written.append(out_dir / "INC-1-signal.svg")
    return written


def today() -> date:
    return START.date()


if __name__ == "__main__":
    for written_path in write_examples(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/examples")):
        print(written_path)
