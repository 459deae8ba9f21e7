"""Channels by impact (guide step 5): severity *and* the share of users affected.

``channels(severity, affected_share, by_severity=, impact=, previous=)`` is pure:
the severity's channels from ``[comms.channels]``, plus every channel whose
``[comms.impact] <channel>_share`` the affected share reaches, plus every
channel an earlier version of the notice already went to (a correction or
retraction is never sent less widely than what it corrects). The status page
is always among them. The result is in a fixed order, from narrowest to widest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from monitor.config.comms import ImpactConfig

ORDER = ("status_page", "banner", "subscribers", "press")


def by_share(affected_share: float | None, impact: ImpactConfig) -> set[str]:
    """The channels an affected-user share alone calls for (none when the share is unknown)."""
    if affected_share is None:
        return set()
    thresholds = {"banner": impact.banner_share, "subscribers": impact.subscribers_share,
                  "press": impact.press_share}
    return {channel for channel, share in thresholds.items() if affected_share >= share}


def channels(
    severity: str,
    affected_share: float | None,
    *,
    by_severity: Mapping[str, Sequence[str]],
    impact: ImpactConfig,
    previous: Iterable[str] = (),
) -> list[str]:
    chosen = {"status_page", *by_severity.get(severity, ()), *by_share(affected_share, impact),
              *previous}
    return sorted(chosen, key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c))
