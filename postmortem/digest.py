"""Leadership digests: what happened this week/month/quarter, against the period before.

``compute_digest(incidents_with_events, period, now)`` is pure: incidents (any
objects with ``key``, ``title``, ``severity``, ``services``, ``group_key``)
each with their events go in; a ``Digest`` comes out, with counts by severity
and service, mean times (detect, acknowledge, first notice, restore) and their
change, corrections and retractions issued, action items, repeat incidents and
published postmortems. Each mean is over the incidents it applies to (time to
restore: the resolved ones; open ones are listed apart in ``still_open`` with
their state), a correction published in two languages counts once, and
``sources`` names the incidents and events behind every figure. States come from
the events (replayed), never from the row. An empty period gives an honest "no incidents" digest,
not an error. ``load_digest(session, period, now)`` reads the store.

Windows are rolling and end at ``now``: week = 7 days, month = 30, quarter = 91.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any, Literal

from sqlmodel import Session

from monitor.clock import utc
from monitor.config import Settings
from monitor.errors import CandorError, Unprocessable
from monitor.event_types import EventType
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import SEVERITIES, replay
from monitor.promsource import Queryable
from postmortem import service
from postmortem.charts import bar_chart, line_chart
from postmortem.timeline import EventLike, key_figures

log = logging.getLogger("candor.postmortem.digest")
PERIODS = {"week": 7, "month": 30, "quarter": 91}
COUNTED_EVENTS = (EventType.NOTICE_CORRECTED, EventType.NOTICE_RETRACTED, EventType.INCIDENT_TRANSITIONED)
"""The events the period's corrections and retractions are counted from (by when they were
written, not by when their incident began)."""
MEASURES = ("time_to_detect", "time_to_acknowledge", "time_to_first_notice", "time_to_restore")


def window(period: str, now: datetime) -> tuple[datetime, datetime, datetime]:
    """``(previous_start, start, end)`` for ``period`` ending at ``now``."""
    if period not in PERIODS:
        raise Unprocessable(f"period {period!r} is not one of {', '.join(PERIODS)}")
    length = timedelta(days=PERIODS[period])
    return now - 2 * length, now - length, now


@dataclass(frozen=True)
class Figures:
    count: int
    means: dict[str, float | None]  # seconds, by MEASURES name
    over: dict[str, int] = field(default_factory=dict)
    """How many incidents each mean is over (those the figure applies to)."""


@dataclass(frozen=True)
class Trend:
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """Relative change (0.25 = 25 % slower/more); ``None`` without both values."""
        if self.current is None or not self.previous:
            return None
        return round((self.current - self.previous) / self.previous, 3)


@dataclass(frozen=True)
class Digest:
    period: str
    start: datetime
    end: datetime
    previous_start: datetime
    generated_at: datetime
    incidents: list[dict[str, Any]]
    by_severity: dict[str, int]
    by_service: dict[str, int]
    current: Figures
    previous: Figures
    trends: dict[str, Trend]
    corrections: int
    retractions: int
    items_opened: int
    items_closed: int
    items_overdue: int
    repeats: list[dict[str, Any]]
    postmortems_published: list[str] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    per_day: list[dict[str, Any]] = field(default_factory=list)
    mttr_per_week: list[dict[str, Any]] = field(default_factory=list)
    slos: list[dict[str, Any]] | None = None  # None: no SLOs configured
    mttr_target: float | None = None  # minutes ([postmortem] mttr_target); a line on the chart
    still_open: list[dict[str, Any]] = field(default_factory=list)
    """Incidents of the period not resolved (nor retracted) now, with their state: listed
    apart, never averaged into time to restore."""
    sources: dict[str, list[str]] = field(default_factory=dict)
    """What each figure is computed from: incident keys per mean, ``KEY#seq`` events for
    corrections (one per correction, whatever its languages) and retractions."""

    @property
    def empty(self) -> bool:
        return not self.incidents

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["trends"] = {name: {"current": t.current, "previous": t.previous, "change": t.change}
                         for name, t in self.trends.items()}
        out["empty"] = self.empty
        return _jsonable(out)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _started(incident: Any, events: Sequence[EventLike]) -> datetime | None:
    figures = key_figures(events) if events else None
    when = (figures.impact_started_at or figures.detected_at) if figures else None
    created = getattr(incident, "created_at", None)
    return when or (utc(created) if created else None)


def applies(name: str, events: Sequence[EventLike]) -> float | None:
    """Seconds of measure ``name`` for one incident, or ``None`` where it does not apply:
    time to restore counts only incidents resolved now (one that regressed, or reopened,
    and is open again has not been restored); the others need both their times."""
    figures = key_figures(events)
    if name == "time_to_restore" and figures.resolved_at is None:
        return None
    return figures.as_seconds()[name]


def _figures(rows: list[tuple[Any, Sequence[EventLike]]]) -> Figures:
    """Means over the incidents each figure applies to (see :func:`applies`)."""
    values: dict[str, list[float]] = {name: [] for name in MEASURES}
    for _, events in rows:
        for name in MEASURES:
            seconds = applies(name, events)
            if seconds is not None:
                values[name].append(seconds)
    counts = {n: len(v) for n, v in values.items()}
    return Figures(len(rows), {n: round(fmean(v), 1) if v else None for n, v in values.items()}, counts)


def correction_key(incident: Any, event: EventLike) -> tuple[str, Any, Any]:
    """One correction published in several languages is one correction: the notice
    versions it wrote share the incident and the version number."""
    return (str(getattr(incident, "key", "")), event.payload.get("version"), event.payload.get("kind"))


def team_of(item: Any, owner_teams: Mapping[str, str]) -> str:
    """``team:x`` owners belong to x; others by the ``owner_teams`` map, then the item's team."""
    owner = str(getattr(item, "owner", "") or "")
    if owner.startswith("team:"):
        return owner.removeprefix("team:")
    return owner_teams.get(owner) or str(getattr(item, "team", "") or "") or "(none)"


def teams(action_items: Sequence[Any], end: datetime, owner_teams: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per team, items created before ``end``: total, closed by then, overdue then, share closed."""
    rows: dict[str, dict[str, Any]] = {}
    for item in action_items:
        if utc(item.created_at) >= end:
            continue
        row = rows.setdefault(team_of(item, owner_teams),
                              {"total": 0, "closed": 0, "overdue": 0})
        row["total"] += 1
        closed = item.closed_at is not None and utc(item.closed_at) < end
        row["closed"] += closed
        row["overdue"] += (not closed) and item.due < end.date()
    return [{"team": name, **row, "ratio": round(row["closed"] / row["total"], 3)}
            for name, row in sorted(rows.items())]


def per_day(started: Sequence[datetime], first: date, last: date) -> list[dict[str, Any]]:
    counts = Counter(at.date() for at in started)
    days = (last - first).days + 1
    return [{"day": first + timedelta(days=n), "count": counts.get(first + timedelta(days=n), 0)}
            for n in range(days)]


def mttr_per_week(rows: Sequence[tuple[datetime, float | None]], first: date,
                  last: date) -> list[dict[str, Any]]:
    """Mean time to restore (minutes) by ISO week (its Monday); ``None`` for a week without data."""
    monday = first - timedelta(days=first.weekday())
    weeks: dict[date, list[float]] = {}
    while monday <= last:
        weeks[monday] = []
        monday += timedelta(days=7)
    for at, seconds in rows:
        week = at.date() - timedelta(days=at.weekday())
        if seconds is not None and week in weeks:
            weeks[week].append(seconds / 60)
    return [{"week": w, "minutes": round(fmean(v), 1) if v else None} for w, v in weeks.items()]


def compute_digest(
    incidents_with_events: Sequence[tuple[Any, Sequence[EventLike]]],
    period: str,
    now: datetime,
    *,
    action_items: Sequence[Any] = (),
    postmortems_published: Sequence[str] = (),
    owner_teams: Mapping[str, str] = {},  # noqa: B006  (read only)
    slos: list[dict[str, Any]] | None = None,
    mttr_target: float | None = None,
) -> Digest:
    previous_start, start, end = window(period, now)
    current: list[tuple[Any, Sequence[EventLike]]] = []
    before: list[tuple[Any, Sequence[EventLike]]] = []
    retractions = 0
    corrected: dict[tuple[str, Any, Any], list[str]] = {}
    retracted: list[str] = []
    for incident, events in incidents_with_events:
        when = _started(incident, events)
        if when is not None and start <= when < end:
            current.append((incident, events))
        elif when is not None and previous_start <= when < start:
            before.append((incident, events))
        for event in events:
            if not start <= utc(event.at) < end:
                continue
            ref = f"{incident.key}#{event.seq}"
            if event.type == EventType.NOTICE_CORRECTED:
                corrected.setdefault(correction_key(incident, event), []).append(ref)
            elif event.type == EventType.NOTICE_RETRACTED or (
                event.type == EventType.INCIDENT_TRANSITIONED and event.payload.get("to") == "retracted"
            ):
                retractions += 1
                retracted.append(ref)
    corrections = len(corrected)
    by_severity = dict.fromkeys(SEVERITIES, 0)
    by_service: Counter[str] = Counter()
    groups: dict[str, list[str]] = {}
    listing = []
    still_open: list[dict[str, Any]] = []
    sources: dict[str, list[str]] = {}
    for incident, events in sorted(current, key=lambda pair: _started(*pair) or now):
        by_severity[incident.severity] = by_severity.get(incident.severity, 0) + 1
        by_service.update(incident.services or ["(none)"])
        for name in incident.services or []:
            groups.setdefault(f"service:{name}", []).append(incident.key)
        if getattr(incident, "group_key", None):
            groups.setdefault(f"group:{incident.group_key}", []).append(incident.key)
        reopened = sum(1 for e in events if e.type == EventType.INCIDENT_TRANSITIONED
                       and e.payload.get("to") == "reopened")
        if reopened:
            groups.setdefault(f"reopened:{incident.key}", []).extend([incident.key] * (reopened + 1))
        figures = key_figures(events)
        state = str(replay([(e.type, utc(e.at), e.payload) for e in
                            sorted(events, key=lambda e: (utc(e.at), e.seq))]).state)
        row = {"key": incident.key, "title": incident.title, "severity": incident.severity,
               "services": list(incident.services), "state": state,
               "started_at": _started(incident, events), "duration": figures.as_seconds()["duration"]}
        listing.append(row)
        if state not in ("resolved", "retracted"):
            still_open.append({"key": incident.key, "state": state, "title": incident.title})
        for name in MEASURES:
            if applies(name, events) is not None:
                sources.setdefault(name, []).append(incident.key)
    now_figures, before_figures = _figures(current), _figures(before)
    trends = {name: Trend(now_figures.means[name], before_figures.means[name]) for name in MEASURES}
    trends["count"] = Trend(float(now_figures.count), float(before_figures.count))
    today = now.date()
    opened = sum(1 for i in action_items if start <= utc(i.created_at) < end)
    closed = sum(1 for i in action_items if i.closed_at is not None and start <= utc(i.closed_at) < end)
    overdue = sum(1 for i in action_items if service.is_overdue(i, today))
    repeats = [{"by": name.split(":", 1)[0], "value": name.split(":", 1)[1], "incidents": keys}
               for name, keys in sorted(groups.items()) if len(keys) > 1]
    both = [(_started(i, e), applies("time_to_restore", e)) for i, e in current + before]
    sources["corrections"] = [refs[0] for refs in corrected.values()]
    sources["retractions"] = retracted
    known = [(at, seconds) for at, seconds in both if at is not None]
    last_day = (end - timedelta(microseconds=1)).date()
    days = per_day([at for at, _ in known], previous_start.date(), last_day)
    weeks = mttr_per_week(known, previous_start.date(), last_day)
    return Digest(
        period=period, start=start, end=end, previous_start=previous_start, generated_at=now,
        incidents=listing, by_severity=by_severity, by_service=dict(sorted(by_service.items())),
        current=now_figures, previous=before_figures, trends=trends, corrections=corrections,
        retractions=retractions, items_opened=opened, items_closed=closed, items_overdue=overdue,
        repeats=repeats, postmortems_published=sorted(postmortems_published),
        teams=teams(action_items, end, owner_teams), per_day=days, mttr_per_week=weeks, slos=slos,
        mttr_target=mttr_target, still_open=still_open, sources=sources,
    )


def trend_charts(days: list[dict[str, Any]], weeks: list[dict[str, Any]], *, lang: str = "en",
                 since: date | None = None, target: float | None = None,
                 fmt: Literal["svg", "png"] = "svg") -> dict[str, Any]:
    """The digest's two trend charts in ``lang``: incidents per day (per week for long
    periods; days before ``since`` lighter) and mean time to restore per week (``target``
    minutes as a line). SVG text, or PNG bytes for mail."""
    return {"per_day": bar_chart([d["day"] for d in days], [d["count"] for d in days], lang=lang,
                                 since=since, fmt=fmt),
            "mttr_per_week": line_chart([w["week"] for w in weeks], [w["minutes"] for w in weeks],
                                        lang=lang, target=target, fmt=fmt)}


def charts_of(digest: Digest, lang: str, fmt: Literal["svg", "png"] = "svg") -> dict[str, Any]:
    """``trend_charts`` for one digest."""
    return trend_charts(digest.per_day, digest.mttr_per_week, lang=lang, since=digest.start.date(),
                        target=digest.mttr_target, fmt=fmt)


SLO_REMAINING = "slo:error_budget_remaining:ratio"


def slo_status(settings: Settings, signals: Queryable | None,
               at: datetime) -> list[dict[str, Any]] | None:
    """Each configured SLO's remaining error budget at ``at`` (``None``: no SLOs configured).

    ``signals`` answers PromQL (a ``monitor.promsource.Queryable``); when it is missing or
    fails, every SLO says "no data" rather than the digest failing."""
    configured = list(settings.slo)
    if not configured:
        return None
    found: dict[tuple[str, str], float] = {}
    try:
        samples = signals.query(SLO_REMAINING, at.timestamp()) if signals is not None else []
    except CandorError as exc:
        log.warning("digest: %s could not be read: %s", SLO_REMAINING, exc)
        samples = []
    for sample in samples:
        found[(sample.labels.get("slo", ""), sample.labels.get("service", ""))] = sample.value
    return [{"slo": slo.name, "service": slo.service, "objective": slo.objective,
             "remaining": found.get((slo.name, slo.service))} for slo in configured]


def load_digest(session: Session, period: str, now: datetime, *, settings: Settings | None = None,
                signals: Queryable | None = None) -> Digest:
    """Read the two windows' incidents, their events and all action items, then compute.

    With ``settings``: teams from ``postmortem.owner_teams``, and each ``[[slo]]``'s
    remaining error budget at ``now`` read through ``signals`` (``monitor.promsource``)."""
    previous_start, start, end = window(period, now)
    rows: list[Any] = []
    cursor = None
    while True:
        page, cursor = incidents.list_incidents(session, since=previous_start - timedelta(days=1),
                                                until=end, cursor=cursor, limit=500)
        rows += page
        if cursor is None:
            break
    # Corrections and retractions count where they were published, also for incidents that
    # began before the windows.
    seen = {i.id for i in rows}
    rows += [i for i in incidents.with_events_between(session, start, end, COUNTED_EVENTS)
             if i.id not in seen]
    pairs = [(i, incidents.events(session, i)) for i in rows]
    keys = {i.id: i.key for i in rows}
    published = [keys.get(p.incident_id, str(p.incident_id))
                 for p in service.published_between(session, start, end)]
    owner_teams = settings.postmortem.owner_teams if settings is not None else {}
    target = settings.postmortem.mttr_target if settings is not None else None
    return compute_digest(pairs, period, now, action_items=service.items(session),
                          postmortems_published=published, owner_teams=owner_teams,
                          slos=slo_status(settings, signals, now) if settings is not None else None,
                          mttr_target=target.total_seconds() / 60 if target else None)
