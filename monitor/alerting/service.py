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
from typing import Any

from sqlalchemy import bindparam, func
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

    Round trips per batch, not per alert: the latest row of every fingerprint is read in one
    query before routing (the decisions that matter are taken again under the incident's
    lock); a group's incident, once locked, serves the batch's other alerts of the group;
    the rows attached to it are read once under that lock (none for an incident this batch
    opened); new rows and ``alert.*`` events are written by one flush at the end.
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
        self.resolving: set[int] = set()  # incidents an alert of this batch resolved
        self.latest: dict[str, AlertRecord] = {}  # fingerprint → its latest row, kept current
        self.groups: dict[str, Incident] = {}  # group key → its incident, locked
        self.opened: set[int] = set()  # incidents this batch opened (nothing attached before)
        self.attached: dict[int, dict[str, AlertRecord]] = {}  # incident → fingerprint → row
        self.fingerprints: list[str] = []
        self.written: set[str] = set()  # fingerprints whose new row waits for the batch's INSERT

    def touched_incidents(self) -> list[Incident]:
        return list(self.touched.values())

    def route(self, alerts: Iterable[Alert]) -> None:
        group_by = self.settings.routing.group_by
        keyed = sorted(((group_key(a.labels, group_by), a) for a in alerts), key=lambda k: k[0][0])
        self.fingerprints = sorted({alert.fingerprint for _, alert in keyed})
        self.latest = {row.fingerprint: row for row in self.session.exec(
            _LATEST, params={"fingerprints": self.fingerprints})}
        for (key, grouped), alert in keyed:
            outcome = self._route_one(alert, key, grouped)
            self.outcomes[outcome] += 1
        db.write_pending(self.session)
        for incident_id, incident in self.touched.items():
            if incident_id in self.resolving:  # only a resolution can leave none firing
                self._after_resolutions(incident)
        self.session.flush()

    # -- one alert ---------------------------------------------------------

    def _attached(self, incident: Incident, fp: str) -> AlertRecord | None:
        """The row of ``fp`` on ``incident`` (unique per pair), read under the incident's lock
        (the batch's fingerprints at once, the first time the incident is asked about)."""
        incident_id = id_of(incident)
        rows = self.attached.get(incident_id)
        if rows is None:
            rows = {} if incident_id in self.opened else {row.fingerprint: row for row in self.session.exec(
                _ATTACHED.execution_options(populate_existing=True),
                params={"incident": incident_id, "fingerprints": self.fingerprints})}
            self.attached[incident_id] = rows
        return rows.get(fp)

    def _seen_again(self, row: AlertRecord) -> str:
        row.receive_count = AlertRecord.receive_count + 1  # in SQL: no lost counts
        row.last_received_at = self.now
        self.session.add(row)
        self.session.flush()
        return "deduplicated"

    def _read_written(self) -> None:
        """Write the queued rows and read them back: an alert of this batch again (say, firing
        then resolved in one webhook) is routed on what the ones before it stored."""
        db.write_pending(self.session)
        self.latest.update((row.fingerprint, row) for row in self.session.exec(
            _LATEST, params={"fingerprints": sorted(self.written)}))
        self.written.clear()
        self.attached.clear()
        self.opened.clear()

    def _route_one(self, alert: Alert, key: str, grouped: dict[str, str]) -> str:
        fp = alert.fingerprint
        if fp in self.written:
            self._read_written()
        latest = self.latest.get(fp)
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
        incident, outcome = self._incident_for_group(alert, key, grouped)
        row = self._attached(incident, fp)
        if row is not None and row.status == AlertStatus.FIRING:
            return self._seen_again(row)  # a concurrent request attached it first
        self._store(alert, row, incident, None)
        incidents.record(
            self.session, incident, EventType.ALERT_ATTACHED,
            {"fingerprint": fp, "alertname": alert.name, "labels": alert.labels,
             "starts_at": alert.starts_at, "source": self.source},
            actor=self.source, clock=self.clock, flush=False,
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
        known = self.groups.get(key)  # locked by this transaction, changed only by it
        if known is not None and State(known.state) in OPEN:
            return known, "grouped"
        for _ in range(3):
            current = incidents.open_in_group(self.session, key)
            if current is not None:
                self.groups[key] = current
                return current, "grouped"
            reopened = self._reopen(alert, key)
            if reopened is not None:
                self.groups[key] = reopened
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
                self.groups[key] = incident
                self.opened.add(id_of(incident))
                return incident, "new"
        raise Conflict(f"the incident of alert group {key!r} kept changing while this request "
                       "was routed to it; send the alerts again")

    def _reopen(self, alert: Alert, key: str) -> Incident | None:
        """The group's latest incident moved back to ``reopened`` when it was resolved within
        the reopen window; ``None`` otherwise (read again under its lock before deciding)."""
        latest = self.session.exec(_LATEST_OF_GROUP, params={"group_key": key}).first()
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
    ) -> None:
        """Write ``alert`` over ``row`` (or a new row), flushed with the batch."""
        values: dict[str, Any] = {"name": alert.name, "status": str(alert.status), "labels": alert.labels,
                  "annotations": alert.annotations, "starts_at": alert.starts_at or self.now,
                  "ends_at": alert.ends_at, "generator_url": alert.generator_url,
                  "incident_id": incident.id if incident else None, "silenced_by": silence,
                  "last_received_at": self.now}
        if row is None:  # one INSERT for the batch's new rows (read again if asked for)
            db.insert_on_flush(self.session, AlertRecord, {
                "fingerprint": alert.fingerprint, "source": self.source, "receive_count": 1, **values})
            self.written.add(alert.fingerprint)
            return
        for name, value in values.items():
            setattr(row, name, value)
        row.receive_count += 1
        self.session.add(row)
        self.latest[row.fingerprint] = row
        if incident is not None and id_of(incident) in self.attached:
            self.attached[id_of(incident)][row.fingerprint] = row

    def _resolve(self, alert: Alert, latest: AlertRecord | None) -> str:
        incident = self._incident_of(latest)
        if latest is None or latest.status == AlertStatus.RESOLVED or incident is None:
            if latest is None:
                self._store(alert, None, None, None)
            return "resolved"
        incidents.lock(self.session, incident)
        db.write_pending(self.session)
        self.session.flush()  # what this batch wrote to the row, before it is read again
        self.session.refresh(latest)  # under the incident's lock: did a concurrent request resolve it?
        if latest.status == AlertStatus.RESOLVED or latest.incident_id != incident.id:
            return "resolved"
        self._store(alert, latest, incident, None)
        incidents.record(
            self.session, incident, EventType.ALERT_RESOLVED,
            {"fingerprint": latest.fingerprint, "alertname": alert.name, "ends_at": alert.ends_at},
            actor=self.source, clock=self.clock, flush=False,
        )
        self.touched[id_of(incident)] = incident
        self.resolving.add(id_of(incident))
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


_LATEST = select(AlertRecord).where(col(AlertRecord.id).in_(
    select(func.max(AlertRecord.id))
    .where(col(AlertRecord.fingerprint).in_(bindparam("fingerprints", expanding=True)))
    .group_by(col(AlertRecord.fingerprint))))
"""The latest row of each fingerprint asked for (built once, like the statements below)."""
_LATEST_OF_GROUP = (select(Incident).where(col(Incident.group_key) == bindparam("group_key"))
                    .order_by(col(Incident.id).desc()).limit(1))
_ATTACHED = select(AlertRecord).where(
    col(AlertRecord.incident_id) == bindparam("incident"),
    col(AlertRecord.fingerprint).in_(bindparam("fingerprints", expanding=True)))
_ALERTS_OF = (select(AlertRecord).where(col(AlertRecord.incident_id) == bindparam("incident"))
              .order_by(col(AlertRecord.id)))


def alerts_of(session: Session, incident: Incident) -> list[AlertRecord]:
    return list(session.exec(_ALERTS_OF, params={"incident": incident.id}))
