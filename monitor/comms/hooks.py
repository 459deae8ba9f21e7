"""What else happens when an incident event is written: subscribers and reporters are told.

``tell_people(session, incident, event, settings)`` is one of the runtime's event
hooks (``Runtime.unit``), so it runs in the event's own transaction, like the
outbox: a notice version sent to the ``subscribers`` channel fans out to
confirmed subscribers; a resolution or a correction reaches the users who
reported the problem. Both are idempotent per event.
"""

from __future__ import annotations

from sqlmodel import Session

from monitor.comms.subscribers.service import notify_subscribers
from monitor.comms.user_reports.service import notify_reporters
from monitor.incidents.models import Incident, IncidentEvent


def tell_people(session: Session, incident: Incident, event: IncidentEvent, settings: object) -> None:
    notify_subscribers(session, incident, event, settings)
    notify_reporters(session, incident, event, settings)
