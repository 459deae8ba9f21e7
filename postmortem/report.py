"""Everything a rendered postmortem shows, gathered into one plain value.

``assemble(...)`` is pure: incident facts, events, overlays, the postmortem
row, action items and the signal go in; a ``Report`` comes out. ``load(...)``
is the I/O edge that reads them (incidents only through
``monitor.incidents.service``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from monitor.event_types import EventType
from monitor.incidents import service as incidents
from monitor.incidents.models import Incident
from postmortem import service
from postmortem.chartdata import Marker, SignalChart, unit_of
from postmortem.charts import signal_chart
from postmortem.models import ActionItem, Content, Postmortem
from postmortem.timeline import (
    AnnotationLike,
    Entry,
    EventLike,
    KeyFigures,
    build_timeline,
    key_figures,
)

Signal = Sequence[tuple[datetime, float]]
MAX_MARKERS = 8
"""Per kind (notices, fixes): more than this many lines make a chart nobody can read."""


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    severity: str
    state: str
    services: list[str]
    commander: str | None
    summary: str
    related: list[str]
    status: str
    version: int
    published_at: datetime | None
    figures: KeyFigures
    timeline: list[Entry]
    hidden_count: int
    content: dict[str, Any]
    action_items: list[dict[str, Any]]
    completion: dict[str, Any]
    communications: list[Entry]
    impact: dict[str, Any]
    chart: SignalChart | None  # drawn in the reader's language by the renderer
    generated_at: datetime
    signal_name: str = ""
    approvals: list[str] = field(default_factory=list)
    timeline_omitted: int = 0
    measured: dict[str, Any] | None = None
    """The latest ``impact.measured`` payload (figures and their queries); ``None``: not measured."""

    @property
    def key_moments(self) -> list[Entry]:
        return [e for e in self.timeline if e.key_moment]


def for_print(report: Report, limit: int) -> Report:
    """The report with its timeline cut to ``limit`` entries for the PDF (0: no limit).

    Every key moment stays; the rest is taken from the start and the end of the
    incident, and ``timeline_omitted`` says how many were left to the HTML/Markdown.
    """
    if not limit or len(report.timeline) <= limit:
        return report
    keep = {id(e) for e in report.timeline if e.key_moment}
    others = [e for e in report.timeline if id(e) not in keep]
    room = max(0, limit - len(keep))
    keep |= {id(e) for e in others[: room // 2] + others[len(others) - (room - room // 2):]}
    kept = [e for e in report.timeline if id(e) in keep]
    return replace(report, timeline=kept, timeline_omitted=len(report.timeline) - len(kept))


def draw_chart(report: Report, lang: str, fmt: str = "svg") -> Any:
    """The report's signal chart in ``lang`` (SVG text or PNG bytes); ``None`` without one."""
    if report.chart is None:
        return None
    return signal_chart(report.chart, lang, "png" if fmt == "png" else "svg")


def markers(figures: KeyFigures, timeline: Sequence[Entry]) -> list[Marker]:
    """Chart markers: impact start, detection, notices, fixes, verification, resolution."""
    out = []
    for at, kind in (
        (figures.impact_started_at, "impact"),
        (figures.detected_at, "detection"),
        (figures.verified_at, "verification"),
        (figures.resolved_at, "resolved"),
    ):
        if at is not None and (kind != "verification" or at != figures.resolved_at):
            out.append(Marker(at, kind))
    notices = [e for e in timeline if e.category == "communication"][:MAX_MARKERS]
    fixes = [e for e in timeline if e.type == EventType.FIX_DEPLOYED][:MAX_MARKERS]
    out += [Marker(e.at, "communication", e.type.removeprefix("notice.")) for e in notices]
    out += [Marker(e.at, "fix") for e in fixes]
    return out


def chart_of(points: Signal, figures: KeyFigures, timeline: Sequence[Entry], *, name: str,
                 threshold: float | None = None, titles: dict[str, str] | None = None,
                 unit: str | None = None) -> SignalChart:
    """The chart of the triggering signal: the points, the milestones, the incident window."""
    marks = markers(figures, timeline)
    ends = [m.at for m in marks if m.kind != "communication"]
    return SignalChart(
        points=list(points), markers=marks, unit=unit or unit_of(name), threshold=threshold,
        titles=dict(titles or {}), name=name,
        impact_started_at=figures.impact_started_at or figures.detected_at,
        ended_at=figures.resolved_at or figures.restored_at or (max(ends) if ends else None),
    )


def _impact(events: Sequence[EventLike]) -> dict[str, Any]:
    """Impact numbers older events carried by hand (an ``impact`` object in a
    ``verification.*`` event). What fix verification measures is ``Report.measured``."""
    numbers: dict[str, Any] = {}
    for event in events:
        if event.type.startswith("verification.") and isinstance(event.payload.get("impact"), dict):
            for name, value in event.payload["impact"].items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    numbers[name] = value
    return numbers


def _measured(events: Sequence[EventLike]) -> dict[str, Any] | None:
    found = [e.payload for e in events if e.type == EventType.IMPACT_MEASURED]
    return dict(found[-1]) if found else None


def assemble(
    *,
    incident: Any,
    events: Sequence[EventLike],
    annotations: Sequence[AnnotationLike] = (),
    postmortem: Postmortem | None = None,
    items: Sequence[ActionItem] = (),
    approvals: Sequence[str] = (),
    signal: Signal | None = None,
    signal_name: str = "",
    threshold: float | None = None,
    signal_titles: dict[str, str] | None = None,
    signal_unit: str | None = None,
    now: datetime,
    content: dict[str, Any] | None = None,
) -> Report:
    entries = build_timeline(events, annotations=annotations)
    visible = [e for e in entries if not e.hidden]
    figures = key_figures(events)
    today: date = now.date()
    item_rows = [
        {**{name: getattr(i, name) for name in ("id", "title", "type", "owner", "team", "due",
                                                  "priority", "status", "reason", "ticket_url")},
         "overdue": service.is_overdue(i, today)}
        for i in items
    ]
    chart = None
    if signal:
        chart = chart_of(signal, figures, entries, name=signal_name, threshold=threshold,
                             titles=signal_titles or {"": incident.title}, unit=signal_unit)
    base = content if content is not None else (postmortem.content if postmortem else {})
    return Report(
        key=incident.key, title=incident.title, severity=incident.severity, state=incident.state,
        services=list(incident.services), commander=incident.commander, summary=incident.summary,
        related=list(incident.related),
        status=postmortem.status if postmortem else "none",
        version=postmortem.version if postmortem else 0,
        published_at=postmortem.published_at if postmortem else None,
        figures=figures, timeline=visible, hidden_count=len(entries) - len(visible),
        content=Content.model_validate(base).model_dump(), action_items=item_rows,
        completion=service.completion(list(items)),
        communications=[e for e in entries if e.category == "communication"],
        impact=_impact(events), chart=chart, generated_at=now, signal_name=signal_name,
        approvals=list(approvals), measured=_measured(events),
    )


def load(session: Session, key: str, *, now: datetime, signal: Signal | None = None,
         signal_name: str = "", version: int | None = None, source: Any = None) -> Report:
    """Read an incident and its postmortem (if any) and assemble the report.

    Without a postmortem the report still renders: computed sections are
    filled, written ones say "not written yet". ``version`` picks a published
    version's text instead of the current one. ``source`` (a ``signal.SignalSource``)
    finds the triggering signal when ``signal`` is not given.
    """
    incident: Incident = incidents.get_by_key_or_raise(session, key)
    threshold, titles, unit = None, None, None
    if signal is None and source is not None:
        found = source.find(session, incident, now=now)
        if found is not None:
            signal, signal_name, threshold = found.points, found.name, found.threshold
            titles, unit = found.titles, found.unit
    pm = service.get(session, incident)
    content = None
    if version is not None:
        if pm is None:
            service.get_or_raise(session, incident)
        assert pm is not None
        content = service.version_or_raise(session, pm, version).content
    return assemble(
        incident=incident, events=incidents.events(session, incident),
        annotations=service.overlays(session, incident), postmortem=pm,
        items=service.items(session, incident),
        approvals=service.approvals(session, pm) if pm else [],
        signal=signal, signal_name=signal_name, threshold=threshold, signal_titles=titles,
        signal_unit=unit, now=now, content=content,
    )
