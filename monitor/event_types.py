"""Every event type Candor writes or sends, in one place.

The strings are stored (``incident_event.type``, ``postmortem_event.type``,
``outbox_message.event_type``) and sent to receivers, so they are history: a
member may be added, never renamed or reused. Code compares and writes the
members, never the strings (a ``StrEnum`` member equals its string, so rows
read back from the database compare equal to it).

::

    EventType            incident_event.type     what happened to an incident (its timeline)
    PostmortemEventType  postmortem_event.type   what happened to its postmortem (review trail)
    Notification         outbox + webhook "type" what an incident event becomes for receivers;
                                                 a receiver's ``events`` lists these
    DirectMessage        outbox + webhook "type" messages addressed one by one (confirmations,
                                                 reporters, digests), not chosen by ``events``

``monitor.notify.service.event_name`` maps an ``EventType`` to its
``Notification``; ``postmortem.sentences`` words each ``EventType`` in en and pt-BR
(from the catalogue, ``monitor.i18n.reports``).
This module imports nothing of Candor's, so every room can use it.

>>> EventType.NOTICE_CORRECTED == "notice.corrected"
True
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "IMPACT_STARTED",
    "NOTICE_VERSIONS",
    "DirectMessage",
    "EventType",
    "Notification",
    "PostmortemEventType",
]


class EventType(StrEnum):
    """The type of an incident event. Member names spell the stored string."""

    INCIDENT_OPENED = "incident.opened"
    INCIDENT_TRANSITIONED = "incident.transitioned"
    """A lifecycle transition; the payload holds ``from``, ``to`` and ``reason``."""
    INCIDENT_LINKED = "incident.linked"
    INCIDENT_GROUP_RELEASED = "incident.group_released"
    """The incident no longer takes its alert group's new alerts; the payload's ``kept_by``
    does (written by migration 0007 to older duplicates: one open incident per group)."""
    ALERT_ATTACHED = "alert.attached"
    ALERT_RESOLVED = "alert.resolved"
    ALERTS_ALL_RESOLVED = "alerts.all_resolved"
    NOTE_ADDED = "note.added"
    SEVERITY_CHANGED = "severity.changed"
    COMMANDER_ASSIGNED = "commander.assigned"
    FIX_DEPLOYED = "fix.deployed"
    VERIFICATION_PASSED = "verification.passed"
    """A verification verdict with its evidence (the example incident records one)."""
    VERIFICATION_VERDICT = "verification.verdict"
    """A fix's verdict (``outcome``: verified, regressed, inconclusive or error) with its
    evidence: queries, windows, counts, the test and its result."""
    IMPACT_MEASURED = "impact.measured"
    """Impact read from the series (start, end, errors, requests, budget) with its queries;
    a later one supersedes it when late data changes the figures."""
    NOTICE_PUBLISHED = "notice.published"
    """The first version of a public notice in one language."""
    NOTICE_UPDATED = "notice.updated"
    NOTICE_CORRECTED = "notice.corrected"
    NOTICE_RETRACTED = "notice.retracted"
    USER_REPORT_RECEIVED = "user_report.received"
    """A user report attached (the payload holds no personal data)."""


NOTICE_VERSIONS = frozenset({EventType.NOTICE_PUBLISHED, EventType.NOTICE_UPDATED,
                             EventType.NOTICE_CORRECTED, EventType.NOTICE_RETRACTED})
"""The events a published notice version writes (one per version)."""

IMPACT_STARTED = "impact.started"
"""Not stored: the type of the timeline's one synthetic entry (seq 0), impact start."""


class PostmortemEventType(StrEnum):
    """The type of a postmortem event (drafting and review; the content is versioned apart)."""

    DRAFTED = "postmortem.drafted"
    EDITED = "postmortem.edited"
    SUBMITTED = "postmortem.submitted"
    APPROVED = "postmortem.approved"
    CHANGES_REQUESTED = "postmortem.changes_requested"
    REVIEWED = "postmortem.reviewed"
    """Written by Candor when enough reviewers approved."""
    PUBLISHED = "postmortem.published"


class Notification(StrEnum):
    """What receivers are told about an incident: the ``type`` of the message, and what a
    receiver lists in ``events`` (``[[notify.receivers]]``) to choose what it gets."""

    INCIDENT_OPENED = "incident.opened"
    INCIDENT_STATE_CHANGED = "incident.state_changed"
    """Any transition without a name of its own below (a receiver listing it gets those too)."""
    INCIDENT_RESOLVED = "incident.resolved"
    INCIDENT_REGRESSED = "incident.regressed"
    INCIDENT_RETRACTED = "incident.retracted"
    NOTICE_PUBLISHED = "notice.published"
    """A receiver listing it gets every later version of the notice too."""
    NOTICE_UPDATED = "notice.updated"
    NOTICE_CORRECTED = "notice.corrected"
    NOTICE_RETRACTED = "notice.retracted"
    POSTMORTEM_PUBLISHED = "postmortem.published"


class DirectMessage(StrEnum):
    """Messages addressed one by one (never matched against a receiver's ``events``)."""

    SUBSCRIBER_CONFIRM = "subscriber.confirm"
    """Asks a new status-page subscriber to confirm the address."""
    USER_REPORT_RESOLVED = "report.resolved"
    """Tells a user who reported the problem that it is resolved."""
    USER_REPORT_CORRECTED = "report.corrected"
    """Tells a user who reported the problem that a notice was corrected."""
    DIGEST_PUBLISHED = "digest.published"
    """The scheduled leadership digest."""
