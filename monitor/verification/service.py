"""The verification sweep, run by the scheduler every few seconds."""

from __future__ import annotations

from sqlmodel import Session, select

from monitor.clock import Clock, utc
from monitor.config import Settings
from monitor.durations import format_duration
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import State
from monitor.incidents.models import Incident

VERIFIER = "candor-verifier"


def healthy(incident: Incident) -> bool:
    """Hook for signal-based verification; today: every alert of the incident has resolved."""
    return incident.alerts_resolved


def sweep(session: Session, *, settings: Settings, clock: Clock) -> list[str]:
    """Resolve verifying incidents whose window passed while healthy; returns their keys."""
    window = settings.verification.window
    now = clock.now()
    done = []
    for incident in session.exec(select(Incident).where(Incident.state == State.VERIFYING)):
        since = incident.verifying_since
        if since is None or now - utc(since) < window or not healthy(incident):
            continue
        incidents.transition(
            session, incident, State.RESOLVED, actor=VERIFIER, clock=clock,
            reason=f"verified: the signal stayed healthy for {format_duration(window)}",
        )
        done.append(incident.key)
    return done
