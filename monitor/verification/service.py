"""Fix verification and impact: the sweep, run by the scheduler on the leader.

For every ``verifying`` incident, each sweep:

1. reads its **attempt** from its events (:func:`attempt`: since when it verifies, the
   fix, whether the window was already extended or a person must decide);
2. if an alert of the incident is still firing a whole window after verification began,
   the fix did not stop it → **regressed** (back to ``fixing``);
3. waits until the soak window ``[soak start, soak start + window]`` is over — soak start
   is the latest of: verification began, every alert resolved, the fix was deployed;
4. reads the signal (``monitor.verification.signal``) through a ``Queryable`` and asks
   :func:`monitor.verification.judge.judge` for the verdict; a failed query is an
   **error** verdict (counted apart, retried next sweep);
5. records a ``verification.verdict`` event with the evidence, then: verified → resolved;
   regressed → fixing; inconclusive → the window is extended once, then a person decides
   (the incident stays ``verifying`` and the sweep leaves it alone).

Impact (``monitor.verification.impact``) is measured for open incidents until their impact
start is known, again with the verdict, and for ``[verification] late_data`` after
resolution whenever late samples change the figures (a new ``impact.measured`` event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from monitor.alerting.identity import AlertStatus
from monitor.alerting.service import alerts_of
from monitor.clock import Clock, utc
from monitor.config import Settings
from monitor.config.verification import ANNOTATIONS, Overrides
from monitor.durations import format_duration, parse_duration
from monitor.errors import CandorError, FieldProblem, Unavailable, Unprocessable
from monitor.event_types import EventType
from monitor.i18n.verdicts import transition_reason
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import OPEN, State
from monitor.incidents.models import Incident, IncidentEvent
from monitor.promsource import Queryable
from monitor.verification import impact as impact_mod
from monitor.verification import soak
from monitor.verification.judge import Counts, Judgement, Observation, Policy, judge
from monitor.verification.signal import (
    REQUESTS,
    Queries,
    _escape,
    check_query,
    expr_from_generator_url,
    instant_value,
    queries_for,
    range_points,
    rule_for,
)
from monitor.verification.soak import Settling

log = logging.getLogger("candor.verification")
VERIFIER = "candor-verifier"
IMPACT_LOOKBACK_STEPS = 40
"""How far before detection impact start is searched, in steps of ``resolution``."""
DAY = timedelta(days=1)


# ---- the attempt, from events (pure) ------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    started_at: datetime
    """When the incident last entered ``verifying``."""
    fix: dict[str, Any] | None
    """The latest fix's payload (``id``, ``release``, ``deployed_at``, ``verification``)."""
    fix_at: datetime | None
    restored_at: datetime | None
    """When every alert last resolved (``None``: never)."""
    extended: bool
    final: bool
    """An inconclusive verdict after the extension: a person decides."""
    last_error: Any
    detected_at: datetime | None
    impact_started_at: datetime | None

    def since(self) -> datetime:
        """Where the expression is watched from: verification began, or the latest fix went
        out (``deployed_at``, else when it was recorded) if later; a fix deployed before the
        alert fired counts from when verification began."""
        deployed = self.fix.get("deployed_at") if self.fix else None
        fixed = datetime.fromisoformat(deployed) if isinstance(deployed, str) else self.fix_at
        return max(utc(c) for c in (self.started_at, fixed) if c is not None)

    def soak_start(self) -> datetime:
        """Without an alert expression: the latest of verification began, every alert
        resolved, the fix went out."""
        deployed = self.fix.get("deployed_at") if self.fix else None
        candidates = [self.started_at, self.restored_at,
                      datetime.fromisoformat(deployed) if isinstance(deployed, str) else None]
        return max(utc(c) for c in candidates if c is not None)


def attempt(events: Sequence[Any]) -> Attempt | None:
    """The current verification attempt as the events say (``None``: not verifying)."""
    started = fix = fix_at = restored = None
    extended = final = False
    last_error = None
    detected = impact = None
    for e in sorted(events, key=lambda e: e.seq):
        at = utc(e.at)
        if e.type == EventType.INCIDENT_OPENED:
            detected = at
            raw = e.payload.get("impact_started_at")
            impact = utc(datetime.fromisoformat(raw)) if isinstance(raw, str) else at
        elif e.type == EventType.IMPACT_MEASURED and e.payload.get("started_at"):
            impact = utc(datetime.fromisoformat(e.payload["started_at"]))
        elif e.type == EventType.INCIDENT_TRANSITIONED:
            if e.payload.get("to") == State.VERIFYING:
                started, extended, final, last_error = at, False, False, None
            else:
                started = None
        elif e.type == EventType.FIX_DEPLOYED:
            fix, fix_at = dict(e.payload), at
        elif e.type == EventType.ALERTS_ALL_RESOLVED:
            restored = at
        elif e.type == EventType.ALERT_ATTACHED:
            restored = None
        elif e.type == EventType.VERIFICATION_VERDICT and started is not None:
            outcome = e.payload.get("outcome")
            if outcome == "inconclusive":
                extended = extended or bool(e.payload.get("extended"))
                final = bool(e.payload.get("final"))
            last_error = (e.payload.get("reasons") or [None])[0] if outcome == "error" else None
    if started is None:
        return None
    return Attempt(started, fix, fix_at, restored, extended, final, last_error, detected, impact)


# ---- the effective policy (pure) ------------------------------------------------------------


def policy_for(settings: Settings, severity: str, annotations: Mapping[str, str],
               overrides: Mapping[str, Any] | None) -> tuple[Policy, dict[str, str]]:
    """The effective :class:`Policy` and where each value came from (config, severity,
    rule annotation, fix). Annotations that do not parse are ignored with a warning."""
    v = settings.verification
    values: dict[str, Any] = {"window": v.window, "baseline": v.baseline, "tolerance": v.tolerance,
                              "tolerance_floor": v.tolerance_floor, "confidence": v.confidence,
                              "min_requests": v.min_requests,
                              "latency_tolerance": v.latency_tolerance}
    sources = dict.fromkeys(values, "[verification]")
    layers: list[tuple[str, dict[str, Any]]] = []
    if severity in v.severity:
        layers.append((f"[verification.severity.{severity}]",
                       v.severity[severity].model_dump(exclude_none=True)))
    from_rule = {ANNOTATIONS[k]: val for k, val in annotations.items() if k in ANNOTATIONS}
    if from_rule:
        try:
            layers.append(("rule annotation", Overrides.model_validate(from_rule).model_dump(
                exclude_none=True)))
        except ValidationError as exc:
            log.warning("ignoring candor_verify_* annotations %s: %s", from_rule, exc)
    if overrides:
        known = {k: val for k, val in overrides.items() if k in Overrides.model_fields}
        layers.append(("fix", Overrides.model_validate(known).model_dump(exclude_none=True)))
    for where, layer in layers:
        for key, value in layer.items():
            values[key], sources[key] = value, where
    policy = Policy(window=values["window"].total_seconds(), baseline=values["baseline"].total_seconds(),
                    tolerance=values["tolerance"], tolerance_floor=values["tolerance_floor"],
                    confidence=values["confidence"], min_requests=values["min_requests"],
                    min_coverage=v.min_coverage, latency_tolerance=values["latency_tolerance"])
    return policy, sources


# ---- the incident's signal -----------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    alertname: str
    alert_labels: dict[str, str]
    annotations: dict[str, str]
    queries: Queries
    source_of_expr: str
    """``rule`` (loaded rule group), ``generatorURL``, or ``none``."""


def signal_of(session: Session, incident: Incident, groups: Sequence[Any],
              overrides: Mapping[str, Any] | None = None, release_matcher: str = "") -> Signal:
    name, labels, url = "", dict(incident.labels or {}), None
    for record in alerts_of(session, incident):
        name = record.name or record.labels.get("alertname", "")
        labels, url = dict(record.labels), record.generator_url
        break
    name = name or labels.get("alertname", "")
    rule = rule_for(groups, name) if name else None
    expr, where, annotations = None, "none", {}
    if rule is not None:
        expr, where, annotations = rule.expr, "rule", dict(getattr(rule, "annotations", {}) or {})
    elif (found := expr_from_generator_url(url)) is not None:
        expr, where = found, "generatorURL"
    queries = queries_for(services=list(incident.services or []), alert_expr=expr,
                          alert_labels=labels, annotations=annotations, overrides=overrides,
                          release_matcher=release_matcher)
    return Signal(name, labels, annotations, queries, where)


def _releases(source: Queryable, key: str, service: str, at: float) -> tuple[list[str], float | None]:
    """Releases the exporters marked as carrying fix ``key``, and when the live one went out."""
    found = source.query(f'candor_app_release_info{{fix="{_escape(key)}"}}', at)
    releases = sorted({s.labels.get("release", "") for s in found} - {""})
    deployed = None
    if releases and service:
        stamp = instant_value(source, f'candor_app_deploy_timestamp_seconds{{service="{_escape(service)}"}}',
                              at)
        deployed = stamp
    return releases, deployed


def _release_matcher(source: Queryable, service: str, releases: Sequence[str], at: float) -> str:
    """``,release=~"r1|r2"`` when the request series carry a release label, else ``""``."""
    if not (service and releases):
        return ""
    found = source.query(f'count by (release) ({REQUESTS}{{service="{_escape(service)}"}})', at)
    if not any(s.labels.get("release") for s in found):
        return ""
    alternatives = "|".join(r.replace("\\", "\\\\").replace(".", "\\\\.") for r in releases)
    return f',release=~"{alternatives}"'


# ---- reading the signal ------------------------------------------------------------------------


def _counts(source: Queryable, queries: Queries, start: float, end: float,
            shown: dict[str, str], name: str) -> Counts | None:
    span = end - start
    exprs = {which: queries.count(which, span) for which in ("errors", "total")}
    if exprs["total"] is None or exprs["errors"] is None:
        return None
    for which, expr in exprs.items():
        shown[f"{name}_{which}"] = f"({expr}) * {span:g} @ {end:.3f}"
    total = instant_value(source, exprs["total"], end)
    if total is None:
        return None
    errors = instant_value(source, exprs["errors"], end) or 0.0
    return Counts(errors=errors * span, requests=total * span)


def observe(source: Queryable, signal: Signal, policy: Policy, *, soak: tuple[float, float],
            impact_start: float, step: float) -> tuple[Observation, dict[str, Any]]:
    """Run the queries for one verdict; returns the observation and the evidence of it."""
    q = signal.queries
    start, end = soak
    shown: dict[str, str] = {}
    evidence: dict[str, Any] = {"queries": shown}
    soak_counts = _counts(source, q, start, end, shown, "soak")
    # baseline: the same time of day a day earlier when it has the traffic, else before impact
    base_window = (end - 86400 - policy.baseline, end - 86400)
    kind = "time of day, a day earlier"
    matched = None
    if base_window[1] < impact_start - policy.baseline:
        probe: dict[str, str] = {}
        matched = _counts(source, q, *base_window, probe, "baseline")
        if matched is not None and matched.requests >= policy.min_requests:
            shown.update(probe)
        else:
            matched = None
    if matched is None:
        # one step clear of impact start: that sample already holds the first bad requests
        base_window = (impact_start - step - policy.baseline, impact_start - step)
        kind = "before impact start"
        matched = _counts(source, q, *base_window, shown, "baseline")
    evidence["baseline_window"] = {"start": _iso(base_window[0]), "end": _iso(base_window[1]),
                                   "kind": kind}
    coverage = None
    rate = q.rate(step)
    if rate is not None:
        shown["coverage"] = f"{rate} [{_iso(start)} .. {_iso(end)} step {step:g}s]"
        points = range_points(source, rate, start + step, end, step, q.alert_labels)
        expected = max(1, int(round((end - start) / step)))
        coverage = round(min(1.0, len(points) / expected), 3)
    active: list[float] = []
    if q.alert:
        shown["alert"] = f"{q.alert} [{_iso(start)} .. {_iso(end)} step {step:g}s]"
        active = [t for t, _ in range_points(source, q.alert, start + step, end, step, q.alert_labels)]
    latency_soak: list[float] = []
    latency_base: list[float] = []
    latency = q.latency(step)
    if latency is not None and soak_counts is not None:
        shown["latency"] = latency
        latency_soak = [v for _, v in range_points(source, latency, start + step, end, step)]
        latency_base = [v for _, v in range_points(source, latency, base_window[0] + step,
                                                   base_window[1], step)]
    evidence["coverage"] = coverage
    return Observation(soak_counts, matched, coverage, active, latency_soak, latency_base), evidence


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat()


# ---- the sweep ------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    verdicts: list[tuple[str, str]]
    """``(incident key, outcome)`` recorded this sweep."""
    impacts: list[str]


def sweep(session: Session, *, settings: Settings, clock: Clock,
          source: Callable[[], Queryable] | None = None, groups: Sequence[Any] = (),
          on_verdict: Callable[[str, float | None], None] | None = None) -> SweepResult:
    """Judge the verifying incidents that are due and measure impact (see the module doc).

    ``source`` opens the ``Queryable`` (closed when done); ``groups`` are the loaded rule
    groups; ``on_verdict(outcome, seconds_to_verify)`` counts each verdict (metrics)."""
    now = clock.now()
    result = SweepResult([], [])
    opened: list[Queryable] = []

    def queryable() -> Queryable | None:
        if source is None:
            return None
        if not opened:
            opened.append(source())
        return opened[0]

    try:
        if source is not None:
            record_markers(session, queryable(), clock=clock, now=now)  # type: ignore[arg-type]
        query = select(Incident).where(col(Incident.state).in_([str(s) for s in OPEN]))
        for incident in list(session.exec(query)):
            events = incidents.events(session, incident)
            # impact first: the verdict's baseline ends where impact started
            if _measure_due(incident, events, settings, now):
                if _measure(session, incident, events, settings=settings, clock=clock, now=now,
                            source=queryable, groups=groups):
                    result.impacts.append(incident.key)
                    events = incidents.events(session, incident)
            if incident.state == State.VERIFYING:
                outcome = _verify(session, incident, events, settings=settings, clock=clock,
                                  now=now, source=queryable, groups=groups)
                if outcome is not None:
                    result.verdicts.append((incident.key, outcome[0]))
                    if on_verdict is not None:
                        on_verdict(*outcome)
        late = now - settings.verification.late_data
        resolved = select(Incident).where(Incident.state == State.RESOLVED,
                                          col(Incident.resolved_at) >= late)
        for incident in list(session.exec(resolved)):
            events = incidents.events(session, incident)
            if _measure(session, incident, events, settings=settings, clock=clock, now=now,
                        source=queryable, groups=groups, only_if_changed=True):
                result.impacts.append(incident.key)
    finally:
        for q in opened:
            close = getattr(q, "close", None)
            if close is not None:
                close()
    return result


def record_markers(session: Session, source: Queryable, *, clock: Clock, now: datetime) -> list[str]:
    """Record the fixes the exporters announced (``deploy(release, fix="INC-7")`` sets
    ``candor_app_release_info{fix="INC-7"}``) on their open incidents, once per release.
    A marker naming no open incident is left alone (it may come before the alert fires)."""
    try:
        found = source.query('candor_app_release_info{fix!=""}', now.timestamp())
    except CandorError as exc:
        log.warning("deploy markers could not be read: %s", exc)
        return []
    recorded = []
    for sample in found:
        key, release = sample.labels.get("fix", ""), sample.labels.get("release", "")
        service = sample.labels.get("service", "")
        incident = incidents.get_by_key(session, key)
        if incident is None or State(incident.state) not in OPEN or not release:
            continue
        if any(e.type == EventType.FIX_DEPLOYED and e.payload.get("release") == release
               for e in incidents.events(session, incident)):
            continue
        stamp = None
        if service:
            with_service = f'candor_app_deploy_timestamp_seconds{{service="{_escape(service)}"}}'
            try:
                stamp = instant_value(source, with_service, now.timestamp())
            except CandorError:
                stamp = None
        deployed = datetime.fromtimestamp(stamp, tz=UTC) if stamp else None
        incidents.record_fix(session, incident, f"release {release} deployed with fix {key}",
                             release=release, actor="exporters", clock=clock, deployed_at=deployed,
                             service=service)
        recorded.append(key)
    return recorded


def _measure_due(incident: Incident, events: Sequence[IncidentEvent], settings: Settings,
                 now: datetime) -> bool:
    """An open incident is measured until its impact start is known (within late_data)."""
    if any(e.type == EventType.IMPACT_MEASURED for e in events):
        return False
    detected = incident.detected_at
    return detected is not None and now - utc(detected) <= settings.verification.late_data


def _firing(session: Session, incident: Incident) -> bool:
    return any(a.status == AlertStatus.FIRING for a in alerts_of(session, incident))


def _recording(groups: Sequence[Any], queryable: Queryable,
               default_interval: float) -> tuple[dict[str, str], float]:
    """Recording rules by name and the evaluation interval: the loaded rule groups, else
    (Prometheus mode) what Prometheus's ``/api/v1/rules`` says; ``({}, default)`` if neither."""
    recording: dict[str, str] = {}
    intervals: list[float] = []
    for group in groups:
        intervals.append(getattr(group, "interval_s", None) or default_interval)
        for rule in getattr(group, "rules", []):
            if getattr(rule, "record", None):
                recording[rule.record] = rule.expr
    if groups:
        return recording, max(intervals, default=default_interval)
    rules = getattr(queryable, "rules", None)
    if rules is None:
        return {}, default_interval
    try:
        found, interval = rules()
    except CandorError as exc:
        log.warning("the recording rules could not be read (the lag falls back to the window): %s",
                    exc)
        return {}, default_interval
    return found, interval or default_interval


def _verify(session: Session, incident: Incident, events: Sequence[IncidentEvent], *,
            settings: Settings, clock: Clock, now: datetime,
            source: Callable[[], Queryable | None], groups: Sequence[Any]) -> tuple[str, float | None] | None:
    plan = attempt(events)
    if plan is None or plan.final:
        return None
    fix = plan.fix or {}
    overrides = fix.get("verification") or {}
    bare = signal_of(session, incident, groups, overrides)
    policy, sources = policy_for(settings, incident.severity, bare.annotations, overrides)
    window = timedelta(seconds=policy.window)
    length = window * (2 if plan.extended else 1)
    step = settings.verification.resolution.total_seconds()
    base: dict[str, Any] = {
        "fix": fix.get("id"), "release": fix.get("release") or None,
        "signal": {"alertname": bare.alertname, "expression_from": bare.source_of_expr},
        "policy": _policy(policy, sources),
    }
    queryable = source() if (bare.queries.total or bare.queries.alert) else None
    if queryable is None or bare.queries.alert is None:
        # No alert expression to watch: the alert records say when the errors stopped.
        if _firing(session, incident):
            wait = window * 2  # the lag of an expression Candor cannot see: the window again
            if now - plan.started_at < wait:
                return None
            reason = {"code": "still_firing", "alertname": bare.alertname or "—",
                      "wait": wait.total_seconds()}
            incidents.regress(session, incident, reason=reason, actor=VERIFIER, clock=clock, evidence={
                **{k: v for k, v in base.items() if k != "fix"},
                "window": {"start": plan.started_at.isoformat(), "end": now.isoformat(),
                           "length": format_duration(wait)},
                "queries": bare.queries.shown()})
            return "regressed", None
        soak_start = plan.soak_start()
    else:
        settled = _settle(queryable, bare, plan, settings=settings, now=now, step=step,
                          window=window, length=length, groups=groups, base=base)
        if isinstance(settled, tuple):
            return _record_error(session, incident, plan, base, settled[1], clock=clock)
        if settled is None:
            return None
        if settled.status == "never_inactive":
            reason = {"code": "never_inactive", "deadline": _iso(settled.deadline),
                      "wait": settled.deadline - settled.since}
            return _regress(session, incident, reason, base, bare, clock=clock)
        assert settled.inactive_at is not None
        soak_start = datetime.fromtimestamp(settled.inactive_at, tz=UTC)
        again = [t for t in settled.active_after if t <= (soak_start + length).timestamp()]
        if again:  # no need to wait for the soak's end: the fix did not hold
            base["window"] = _window(soak_start, soak_start + length, length, plan.extended)
            reason = {"code": "active_again", "first": _iso(again[0]), "samples": len(again)}
            base["tests"] = {"alert": {"active_samples": len(again), "first_active": again[0]}}
            return _regress(session, incident, reason, base, bare, clock=clock)
    soak_end = soak_start + length
    if now < soak_end:
        return None
    base["window"] = _window(soak_start, soak_end, length, plan.extended)
    if queryable is None or (bare.queries.total is None and bare.queries.alert is None):
        reason = {"code": "no_signal" if source() is not None else "no_source"}
        return _conclude(session, incident, plan, Judgement("inconclusive", [reason]), base,
                         clock=clock, now=now)
    service = bare.alert_labels.get("service") or (incident.services[0] if incident.services else "")
    try:
        releases, deployed = _releases(queryable, incident.key, service, soak_end.timestamp())
        if deployed is not None and deployed > soak_start.timestamp():
            base["window"]["deployed"] = _iso(deployed)
        matcher = _release_matcher(queryable, service, releases, soak_end.timestamp())
        signal = signal_of(session, incident, groups, overrides, matcher) if matcher else bare
        if releases:
            base["releases_with_fix"] = releases
        impact_start = (plan.impact_started_at or plan.detected_at or plan.started_at).timestamp()
        observation, evidence = observe(queryable, signal, policy,
                                        soak=(soak_start.timestamp(), soak_end.timestamp()),
                                        impact_start=impact_start, step=step)
    except CandorError as exc:
        return _record_error(session, incident, plan, base, exc.detail, clock=clock)
    base.update(evidence)
    if observation.soak is not None:
        base["soak_counts"] = {"errors": round(observation.soak.errors), "requests": round(observation.soak.requests)}
    if observation.baseline is not None:
        base["baseline_counts"] = {"errors": round(observation.baseline.errors),
                                   "requests": round(observation.baseline.requests)}
    return _conclude(session, incident, plan, judge(observation, policy), base, clock=clock, now=now,
                     measure=lambda: _measure(session, incident, incidents.events(session, incident),
                                              settings=settings, clock=clock, now=now, source=source,
                                              groups=groups, force=True))


def _window(start: datetime, end: datetime, length: timedelta, extended: bool) -> dict[str, Any]:
    return {"start": start.isoformat(), "end": end.isoformat(), "length": format_duration(length),
            "extended": extended}


def _settle(queryable: Queryable, signal: Signal, plan: Attempt, *, settings: Settings,
            now: datetime, step: float, window: timedelta, length: timedelta,
            groups: Sequence[Any], base: dict[str, Any]) -> Settling | tuple[str, str] | None:
    """Where the alert expression stands since the fix (``monitor.verification.soak``):
    ``None`` while it may still be lagging, ``("error", detail)`` when a query failed."""
    q = signal.queries
    assert q.alert is not None
    since = plan.since().timestamp()
    try:
        recording, interval = _recording(groups, queryable,
                                         settings.engine.evaluation_interval.total_seconds())
        rule_timing = soak.timing(q.alert, recording=recording, interval=interval)
        lag = rule_timing.lag(step, fallback=window.total_seconds())
        wait = window.total_seconds() + lag
        end = min(now.timestamp(), since + wait + length.total_seconds())
        if end < since:
            return None
        active = [t for t, _ in range_points(queryable, q.alert, since, end, step, q.alert_labels,
                                             strict=True)]
        rate = q.rate(step)
        present = ([t for t, _ in range_points(queryable, rate, since, end, step, q.alert_labels)]
                   if rate is not None else None)
        if not present:  # no request series at all: nothing tells a gap from a recovery
            present = None
    except CandorError as exc:
        return "error", exc.detail
    settled = soak.settle(active, present, since=since, now=now.timestamp(), step=step, wait=wait)
    base["settling"] = {"since": _iso(since), "deadline": _iso(settled.deadline),
                        "wait_seconds": round(wait, 3),
                        "inactive_at": _iso(settled.inactive_at) if settled.inactive_at else None,
                        "active_steps_after_fix": settled.active_before,
                        **rule_timing.as_evidence(step, window.total_seconds()),
                        "query": f"{q.alert} [{_iso(since)} .. {_iso(end)} step {step:g}s]"}
    return None if settled.status == "waiting" else settled


def _regress(session: Session, incident: Incident, reason: dict[str, Any], base: dict[str, Any],
             signal: Signal, *, clock: Clock) -> tuple[str, float | None]:
    evidence = {k: v for k, v in base.items() if k != "fix"}
    evidence.setdefault("queries", signal.queries.shown())
    incidents.regress(session, incident, reason=reason, actor=VERIFIER, clock=clock, evidence=evidence)
    return "regressed", None


def _record_error(session: Session, incident: Incident, plan: Attempt, base: dict[str, Any],
                  detail: str, *, clock: Clock) -> tuple[str, float | None] | None:
    reason = {"code": "query_failed", "detail": detail}
    if reason == plan.last_error:
        return None  # the same failure again: counted once, retried every sweep
    payload = {**base, "outcome": "error", "reasons": [reason]}
    incidents.record(session, incident, EventType.VERIFICATION_VERDICT, payload, actor=VERIFIER,
                     clock=clock)
    return "error", None


def _policy(policy: Policy, sources: Mapping[str, str]) -> dict[str, Any]:
    return {"window": format_duration(timedelta(seconds=policy.window)),
            "baseline": format_duration(timedelta(seconds=policy.baseline)),
            "tolerance": policy.tolerance, "tolerance_floor": policy.tolerance_floor,
            "confidence": policy.confidence, "min_requests": policy.min_requests,
            "min_coverage": policy.min_coverage, "latency_tolerance": policy.latency_tolerance,
            "from": dict(sources)}


def _conclude(session: Session, incident: Incident, plan: Attempt, judgement: Judgement,
              base: dict[str, Any], *, clock: Clock, now: datetime,
              measure: Callable[[], object] | None = None) -> tuple[str, float | None]:
    payload = {**base, "outcome": judgement.outcome, "reasons": judgement.reasons,
               "tests": judgement.tests}
    first_fix = incident.fix_deployed_at or plan.started_at
    seconds = (now - utc(first_fix)).total_seconds()
    if judgement.outcome == "regressed":
        incidents.regress(session, incident, reason=judgement.reasons[0], actor=VERIFIER, clock=clock,
                          evidence={k: v for k, v in payload.items()
                                    if k not in ("outcome", "reasons", "fix")})
        return "regressed", None
    if judgement.outcome == "inconclusive":
        if plan.extended:
            payload["final"] = True
            payload["reasons"] = [*judgement.reasons, {"code": "person_decides"}]
        else:
            payload["extended"] = True
            doubled = 2 * parse_duration(base["window"]["length"]).total_seconds()
            payload["reasons"] = [*judgement.reasons, {"code": "extended", "length": doubled}]
        incidents.record(session, incident, EventType.VERIFICATION_VERDICT, payload, actor=VERIFIER,
                         clock=clock)
        return "inconclusive", None
    incidents.record(session, incident, EventType.VERIFICATION_VERDICT, payload, actor=VERIFIER,
                     clock=clock)
    if measure is not None:
        try:
            measure()
        except CandorError as exc:  # impact is a figure, not the verdict: report and go on
            log.warning("impact of %s could not be measured: %s", incident.key, exc)
    values = {"fix": base.get("fix"), "verdict_reason": judgement.reasons[0]}
    incidents.transition(session, incident, State.RESOLVED, actor=VERIFIER, clock=clock,
                         reason=transition_reason("verified", values, "en"),
                         reason_code="verified", reason_values=values)
    return "verified", seconds


# ---- impact ------------------------------------------------------------------------------


def _measure(session: Session, incident: Incident, events: Sequence[IncidentEvent], *,
             settings: Settings, clock: Clock, now: datetime,
             source: Callable[[], Queryable | None], groups: Sequence[Any],
             force: bool = False, only_if_changed: bool = False) -> bool:
    """Measure impact and record it when new (or changed); ``True`` when recorded."""
    queryable = source()
    if queryable is None or incident.detected_at is None:
        return False
    fix = next((e.payload for e in reversed(events) if e.type == EventType.FIX_DEPLOYED), {})
    signal = signal_of(session, incident, groups, fix.get("verification") or {})
    if signal.queries.total is None and signal.queries.alert is None:
        return False
    policy, _ = policy_for(settings, incident.severity, signal.annotations, fix.get("verification"))
    step = settings.verification.resolution.total_seconds()
    detected = utc(incident.detected_at).timestamp()
    lookback = IMPACT_LOOKBACK_STEPS * step
    try:
        base = _counts(queryable, signal.queries, detected - lookback - policy.baseline,
                       detected - lookback, {}, "baseline")
        allowed = policy.allowed(base.ratio or 0.0) if base is not None else policy.allowed(0.0)
        slos = [s for s in settings.slo if s.service in (incident.services or [])
                or s.service == signal.alert_labels.get("service")]
        measured = impact_mod.measure(queryable, signal.queries, detected=detected,
                                      now=now.timestamp(), lookback=lookback, step=step,
                                      allowed=allowed, slos=slos)
    except CandorError as exc:
        log.warning("impact of %s: a query failed: %s", incident.key, exc)
        return False
    if measured.started_at is None:
        return False
    previous = [e.payload for e in events if e.type == EventType.IMPACT_MEASURED]
    figures = measured.figures()
    if previous and only_if_changed:
        last = {k: v for k, v in previous[-1].items() if k not in ("queries", "revision", "reason")}
        if last == incidents._jsonable(figures):
            return False
    if previous and not (force or only_if_changed):
        return False
    payload = {**measured.as_payload(), "revision": len(previous) + 1,
               "reason": "late data changed the figures" if only_if_changed and previous
               else "measured from the series"}
    incidents.record(session, incident, EventType.IMPACT_MEASURED, payload, actor=VERIFIER, clock=clock)
    return True


def latest_impact(events: Sequence[Any]) -> dict[str, Any] | None:
    found = [e for e in events if e.type == EventType.IMPACT_MEASURED]
    return dict(found[-1].payload) if found else None


def verdicts(events: Sequence[Any]) -> list[dict[str, Any]]:
    """Every verdict, oldest first, with when it was recorded and its event's seq."""
    return [{"seq": e.seq, "at": utc(e.at).isoformat(), "actor": e.actor, **e.payload}
            for e in events if e.type == EventType.VERIFICATION_VERDICT]


# ---- checking a fix before it is recorded --------------------------------------------------


def check_fix(*, settings: Settings, overrides: Mapping[str, Any] | None, service: str,
              incident: Incident, source: Queryable | None, now: datetime,
              known_services: Sequence[str] = ()) -> None:
    """Refuse a fix whose overrides cannot work: ``Unprocessable`` naming each field.

    Checked at submission, never at evaluation: a window shorter than the rule evaluation
    interval (or two query steps), a verification query that does not parse or returns
    nothing, a deployment for a service nobody knows."""
    problems: list[FieldProblem] = []
    overrides = dict(overrides or {})
    try:
        Overrides.model_validate({k: v for k, v in overrides.items() if k in Overrides.model_fields})
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(FieldProblem(f"$.verification.{where}", err["msg"]))
    window = overrides.get("window")
    if isinstance(window, str) and not problems:
        length = Overrides.model_validate({"window": window}).window
        assert length is not None
        floor = max(settings.engine.evaluation_interval, 2 * settings.verification.resolution)
        if length < floor:
            problems.append(FieldProblem("$.verification.window", (
                f"{window} is shorter than the evaluation interval: at least "
                f"{format_duration(floor)} (max of [engine] evaluation_interval and two "
                "[verification] resolution steps)")))
    for name in ("errors_query", "total_query"):
        text = overrides.get(name)
        if text is None:
            continue
        try:
            check_query(str(text), f"$.verification.{name}")
        except ValueError as exc:
            problems.append(FieldProblem(f"$.verification.{name}", str(exc).split(": ", 1)[1]))
            continue
        if source is not None:
            expr = queries_for(services=[], alert_expr=None, alert_labels={},
                               overrides={"errors_query": text, "total_query": text}).count("total", 3600)
            try:
                found = instant_value(source, expr or "", now.timestamp())
            except Unavailable as exc:  # the source is down: not the fix's fault
                log.warning("could not check %s against the signals: %s", name, exc)
                continue
            except CandorError as exc:
                problems.append(FieldProblem(f"$.verification.{name}", f"the query failed: {exc.detail}"))
                continue
            if found is None:
                problems.append(FieldProblem(f"$.verification.{name}", (
                    f"{expr} returns nothing over the last hour: check the metric name and "
                    "labels (a fix cannot be judged on a series that does not exist)")))
    if service and service not in known_services:
        shown = ", ".join(sorted(set(known_services))) or "none yet"
        problems.append(FieldProblem("$.service", (
            f"unknown service {service!r}: not one of the incident's services, the status page "
            f"components' services or the services seen in the signals ({shown})")))
    extra = set(overrides) - set(Overrides.model_fields) - {"errors_query", "total_query"}
    for name in sorted(extra):
        problems.append(FieldProblem(f"$.verification.{name}", (
            "unknown key; use " + ", ".join([*Overrides.model_fields, "errors_query", "total_query"]))))
    if problems:
        raise Unprocessable(f"the fix for {incident.key} cannot be verified as given; nothing "
                            "was recorded", problems)


def known_services(settings: Settings, incident: Incident, source: Queryable | None,
                   now: datetime) -> list[str]:
    names = set(incident.services or [])
    for component in settings.comms.components:
        names.update(component.services)
    if source is not None:
        try:
            for sample in source.query(f"count by (service) ({REQUESTS})", now.timestamp()):
                if sample.labels.get("service"):
                    names.add(sample.labels["service"])
        except CandorError:
            pass
    return sorted(names)


__all__ = ["VERIFIER", "Attempt", "Signal", "SweepResult", "attempt", "check_fix", "known_services",
           "latest_impact", "observe", "policy_for", "record_markers", "signal_of", "sweep", "verdicts"]
