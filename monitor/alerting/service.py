"""Alert intake and silences: routes each alert to an incident, or records why not.

For one alert, in order: validate limits → fingerprint → resolved? (recorded on
its incident even when silenced) → silenced? (record, open nothing) → same
fingerprint already firing on an open incident? (deduplicated) → same group
open? (grouped; a verifying incident regresses: a verdict, then back to fixing) → same group resolved within
the reopen window? (reopened) → new incident.
A resolved alert is recorded on its incident; when the last one resolves,
the incident moves on as ``incidents.on_alerts_resolved`` says.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from monitor import db
from monitor.alerting.identity import Alert, AlertStatus, group_key
from monitor.alerting.matchers import Matcher, MatchOp, matches_all
from monitor.alerting.models import AlertRecord, Silence
from monitor.clock import Clock, utc
from monitor.config import Settings
from monitor.db import id_of
from monitor.durations import parse_duration
from monitor.errors import Conflict, FieldProblem, LimitExceeded, NotFound, Unprocessable
from monitor.event_types import EventType
from monitor.i18n import verdicts
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import OPEN, State, can_transition
from monitor.incidents.models import Incident

SYSTEM = "candor"


def check_limits(alerts: list[Alert], settings: Settings, where: str = "$") -> None:
    """Raise ``LimitExceeded`` naming each alert and label over the configured limits."""
    limits = settings.limits
    if len(alerts) > limits.max_alerts_per_request:
        raise LimitExceeded(
            f"{len(alerts)} alerts in one request; the limit is {limits.max_alerts_per_request} "
            "(limits.max_alerts_per_request): send them in smaller batches"
        )
    problems = []
    for i, alert in enumerate(alerts):
        loc = f"{where}[{i}].labels"
        if len(alert.labels) > limits.max_labels:
            problems.append(FieldProblem(loc, f"{len(alert.labels)} labels; the limit is {limits.max_labels}"))
        for name, value in {**alert.labels, **alert.annotations}.items():
            if len(name) > limits.max_label_name_length:
                problems.append(FieldProblem(f"{loc}.{name[:40]}…", f"name longer than {limits.max_label_name_length}"))
            if len(value) > limits.max_label_value_length and name in alert.labels:
                problems.append(FieldProblem(f"{loc}.{name}", f"value longer than {limits.max_label_value_length}"))
            if len(value) > limits.max_text_length:
                where_text = f"{where}[{i}].annotations.{name}"
                problems.append(FieldProblem(where_text, f"longer than {limits.max_text_length}"))
    if problems:
        raise LimitExceeded("alert labels over the configured limits (see [limits] in config.toml)", problems)


def active_silences(session: Session, now: datetime) -> list[Silence]:
    query = select(Silence).where(col(Silence.starts_at) <= now, col(Silence.ends_at) > now)
    return list(session.exec(query))


def _silencing(silences: list[Silence], labels: dict[str, str]) -> str | None:
    for silence in silences:
        matchers = [Matcher(m["name"], m["value"], MatchOp(m["op"])) for m in silence.matchers]
        if matches_all(matchers, labels):
            return silence.id
    return None


def _severity(alert: Alert, settings: Settings) -> str:
    value = alert.labels.get(settings.routing.severity_label, "")
    if value.upper() in ("SEV1", "SEV2", "SEV3", "SEV4"):
        return value.upper()
    return settings.routing.severity_map.get(value.lower(), settings.incidents.default_severity)


class Router:
    """Routes a batch of alerts inside one session; outcomes are counted per kind.

    Safe under any concurrency: the open incident of a group is read under its row lock
    (``incidents.open_in_group``) and opened with an insert-or-nothing against the partial
    unique index (``incidents.open_for_group``), and whether a fingerprint is already
    attached is read under that same lock. So of two identical webhooks at once, the
    second joins the first's incident and counts as ``deduplicated``; of two alerts of one
    new group, the second counts as ``grouped``. Alerts are routed in group-key order, so
    two batches lock incidents in the same order and never wait on each other in a cycle.
    """

    def __init__(self, session: Session, settings: Settings, clock: Clock, source: str) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.source = source
        self.now = clock.now()
        db.lock_for_write(session)  # SQLite: one intake at a time, reading what it writes over
        self.silences = active_silences(session, self.now)
        self.outcomes: Counter[str] = Counter()
        self.touched: dict[int, Incident] = {}

    def touched_incidents(self) -> list[Incident]:
        return list(self.touched.values())

    def route(self, alerts: Iterable[Alert]) -> None:
        group_by = self.settings.routing.group_by
        for alert in sorted(alerts, key=lambda a: group_key(a.labels, group_by)[0]):
            outcome = self._route_one(alert)
            self.outcomes[outcome] += 1
        for incident in self.touched.values():
            self._after_resolutions(incident)

    # -- one alert ---------------------------------------------------------

    def _latest(self, fp: str) -> AlertRecord | None:
        query = select(AlertRecord).where(AlertRecord.fingerprint == fp)
        return self.session.exec(query.order_by(col(AlertRecord.id).desc())).first()

    def _attached(self, incident: Incident, fp: str) -> AlertRecord | None:
        """The row of ``fp`` on ``incident`` (unique per pair), read under the incident's lock."""
        query = select(AlertRecord).where(AlertRecord.incident_id == incident.id,
                                          AlertRecord.fingerprint == fp)
        return self.session.exec(query.execution_options(populate_existing=True)).first()

    def _seen_again(self, row: AlertRecord) -> str:
        row.receive_count = AlertRecord.receive_count + 1  # in SQL: no lost counts
        row.last_received_at = self.now
        self.session.add(row)
        self.session.flush()
        return "deduplicated"

    def _route_one(self, alert: Alert) -> str:
        fp = alert.fingerprint
        latest = self._latest(fp)
        if alert.status is AlertStatus.RESOLVED:  # silences mute alerts, not their resolution
            return self._resolve(alert, latest)
        silence = _silencing(self.silences, alert.labels)
        if silence:
            # A row still firing on an incident stays attached, so its resolution reaches it.
            keep = latest if latest and (
                latest.incident_id is None or latest.status == AlertStatus.FIRING) else None
            self._store(alert, keep, self._incident_of(keep), silence)
            return "silenced"
        incident = self._incident_of(latest)
        if latest and latest.status == AlertStatus.FIRING and incident and State(incident.state) in OPEN:
            return self._seen_again(latest)
        key, grouped = group_key(alert.labels, self.settings.routing.group_by)
        incident, outcome = self._incident_for_group(alert, key, grouped)
        row = self._attached(incident, fp)
        if row is not None and row.status == AlertStatus.FIRING:
            return self._seen_again(row)  # a concurrent request attached it first
        self._store(alert, row, incident, None)
        incidents.record(
            self.session, incident, EventType.ALERT_ATTACHED,
            {"fingerprint": fp, "alertname": alert.name, "labels": alert.labels,
             "starts_at": alert.starts_at, "source": self.source},
            actor=self.source, clock=self.clock,
        )
        self.touched[id_of(incident)] = incident
        if incident.state == State.VERIFYING:  # fix verification: the alert fired again
            incidents.regress(
                self.session, incident, actor=SYSTEM, clock=self.clock,
                reason={"code": "refired", "alertname": alert.name},
                evidence={"alert": {"alertname": alert.name, "fingerprint": fp,
                                    "starts_at": alert.starts_at, "source": self.source}},
            )
        return outcome

    def _incident_of(self, record: AlertRecord | None) -> Incident | None:
        if record is None or record.incident_id is None:
            return None
        return self.session.get(Incident, record.incident_id)

    def _incident_for_group(self, alert: Alert, key: str, grouped: dict[str, str]) -> tuple[Incident, str]:
        """The group's open incident (locked), the resolved one reopened, or a new one.

        A new incident is an insert-or-nothing: when a concurrent request opened the group's
        incident first, the insert stores nothing and the next round joins that one."""
        for _ in range(3):
            current = incidents.open_in_group(self.session, key)
            if current is not None:
                return current, "grouped"
            reopened = self._reopen(alert, key)
            if reopened is not None:
                return reopened, "reopened"
            title = alert.annotations.get("summary") or alert.name or "Alert firing"
            services = [alert.labels["service"]] if "service" in alert.labels else []
            incident = incidents.open_for_group(
                self.session, group_key=key, clock=self.clock,
                key_prefix=self.settings.incidents.key_prefix, actor=self.source,
                title=title[:500], summary=alert.annotations.get("description", ""),
                severity=_severity(alert, self.settings), services=services, labels=grouped,
                impact_started_at=alert.starts_at,
            )
            if incident is not None:
                return incident, "new"
        raise Conflict(f"the incident of alert group {key!r} kept changing while this request "
                       "was routed to it; send the alerts again")

    def _reopen(self, alert: Alert, key: str) -> Incident | None:
        """The group's latest incident moved back to ``reopened`` when it was resolved within
        the reopen window; ``None`` otherwise (read again under its lock before deciding)."""
        query = select(Incident).where(Incident.group_key == key).order_by(col(Incident.id).desc())
        latest = self.session.exec(query).first()
        window = self.settings.incidents.reopen_window
        if latest is None or latest.state != State.RESOLVED:
            return None
        incidents.lock(self.session, latest)
        if latest.state != State.RESOLVED or latest.resolved_at is None \
                or self.now - utc(latest.resolved_at) > window:
            return None
        fix = incidents.last_fix_id(self.session, latest)  # fix verification: say which fix
        values = {"fix": fix, "alertname": alert.name, "window": window.total_seconds()}
        incidents.transition(
            self.session, latest, State.REOPENED, actor=SYSTEM, clock=self.clock,
            reason=verdicts.transition_reason("reopened", values, "en"),
            reason_code="reopened", reason_values=values,
        )
        return latest

    def _store(
        self, alert: Alert, row: AlertRecord | None, incident: Incident | None, silence: str | None
    ) -> AlertRecord:
        row = row or AlertRecord(fingerprint=alert.fingerprint, status="", source=self.source,
                                 starts_at=self.now, last_received_at=self.now, receive_count=0)
        row.name = alert.name
        row.status = alert.status
        row.labels = alert.labels
        row.annotations = alert.annotations
        row.starts_at = alert.starts_at or self.now
        row.ends_at = alert.ends_at
        row.generator_url = alert.generator_url
        row.incident_id = incident.id if incident else None
        row.silenced_by = silence
        row.receive_count += 1
        row.last_received_at = self.now
        self.session.add(row)
        self.session.flush()
        return row

    def _resolve(self, alert: Alert, latest: AlertRecord | None) -> str:
        incident = self._incident_of(latest)
        if latest is None or latest.status == AlertStatus.RESOLVED or incident is None:
            if latest is None:
                self._store(alert, None, None, None)
            return "resolved"
        incidents.lock(self.session, incident)
        self.session.refresh(latest)  # under the incident's lock: did a concurrent request resolve it?
        if latest.status == AlertStatus.RESOLVED or latest.incident_id != incident.id:
            return "resolved"
        self._store(alert, latest, incident, None)
        incidents.record(
            self.session, incident, EventType.ALERT_RESOLVED,
            {"fingerprint": latest.fingerprint, "alertname": alert.name, "ends_at": alert.ends_at},
            actor=self.source, clock=self.clock,
        )
        self.touched[id_of(incident)] = incident
        return "resolved"

    def _after_resolutions(self, incident: Incident) -> None:
        if State(incident.state) not in OPEN or incident.alerts_resolved:
            return
        query = select(AlertRecord).where(
            AlertRecord.incident_id == incident.id, AlertRecord.status == AlertStatus.FIRING
        )
        if self.session.exec(query).first() is not None:
            return
        incidents.record(self.session, incident, EventType.ALERTS_ALL_RESOLVED, {},
                         actor=SYSTEM, clock=self.clock)
        mode = self.settings.incidents.on_alerts_resolved
        if mode == "none":
            return
        if can_transition(State(incident.state), State.VERIFYING):
            incidents.transition(self.session, incident, State.VERIFYING, actor=SYSTEM,
                                 clock=self.clock, reason="every alert has resolved; watching the signal",
                                 reason_code="alerts_resolved")
        if mode == "resolve" and incident.state == State.VERIFYING:
            incidents.transition(self.session, incident, State.RESOLVED, actor=SYSTEM,
                                 clock=self.clock, reason="every alert has resolved (on_alerts_resolved=resolve)",
                                 reason_code="alerts_resolved_resolve")


def receive(
    session: Session, alerts: list[Alert], *, settings: Settings, clock: Clock, source: str
) -> Router:
    """Route a batch; the caller's session commits it as one unit."""
    check_limits(alerts, settings)
    router = Router(session, settings, clock, source)
    router.route(alerts)
    return router


# ---- silences ----------------------------------------------------------------


def silence_state(silence: Silence, now: datetime) -> str:
    if utc(silence.ends_at) <= now:
        return "expired"
    return "pending" if utc(silence.starts_at) > now else "active"


def create_silence(
    session: Session,
    *,
    matchers: list[Matcher],
    comment: str,
    created_by: str,
    clock: Clock,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    duration: str | None = None,
) -> Silence:
    now = clock.now()
    start = utc(starts_at) if starts_at else now
    if duration is not None:
        try:
            end = start + parse_duration(duration)
        except ValueError as exc:
            raise Unprocessable("invalid duration", [FieldProblem("$.duration", str(exc))]) from None
        except OverflowError:
            raise Unprocessable("the silence would end after the year 9999",
                                [FieldProblem("$.duration", f"{duration!r} after {start.isoformat()} "
                                              "is past the year 9999")]) from None
    elif ends_at is not None:
        end = utc(ends_at)
    else:
        raise Unprocessable("a silence needs an end: give ends_at or duration (e.g. '2h')",
                            [FieldProblem("$.ends_at", "missing (or give $.duration)")])
    if end <= start:
        raise Unprocessable("a silence must end after it starts",
                            [FieldProblem("$.ends_at", f"{end.isoformat()} is not after {start.isoformat()}")])
    if end <= now:
        raise Unprocessable("the silence would already be over",
                            [FieldProblem("$.ends_at", f"{end.isoformat()} is in the past")])
    silence = Silence(
        id=str(uuid.uuid4()), matchers=[{"name": m.name, "value": m.value, "op": str(m.op)} for m in matchers],
        starts_at=start, ends_at=end, created_by=created_by, comment=comment, created_at=now,
    )
    session.add(silence)
    session.flush()
    return silence


def get_silence_or_raise(session: Session, silence_id: str) -> Silence:
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFound(f"no silence {silence_id!r}; list them with `candor silence list` (GET /api/v1/silences)")
    return silence


def expire_silence(session: Session, silence_id: str, *, clock: Clock) -> Silence:
    silence = get_silence_or_raise(session, silence_id)
    now = clock.now()
    if silence_state(silence, now) == "expired":
        raise Conflict(f"silence {silence_id} has already expired; nothing to do")
    silence.ends_at = now
    if utc(silence.starts_at) > now:
        silence.starts_at = now
    session.add(silence)
    return silence


def list_silences(session: Session) -> list[Silence]:
    return list(session.exec(select(Silence).order_by(col(Silence.created_at).desc())))


_ALERTS_OF = (select(AlertRecord).where(col(AlertRecord.incident_id) == bindparam("incident"))
              .order_by(col(AlertRecord.id)))


def alerts_of(session: Session, incident: Incident) -> list[AlertRecord]:
    return list(session.exec(_ALERTS_OF, params={"incident": incident.id}))
