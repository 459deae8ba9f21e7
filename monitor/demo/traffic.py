"""A simulated EVERLINKS: link shortening and redirects, with an error spike.

Pure: ``tick(n)`` says what the app served in second ``n`` of the story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ENDPOINTS = {"redirect": 0.8, "shorten": 0.15, "stats": 0.05}


@dataclass(frozen=True)
class Story:
    """Healthy traffic, then redirects start failing, then the fix lands."""

    rps: int = 200
    spike_start: int = 8
    spike_end: int = 20
    healthy_error_ratio: float = 0.002
    spike_error_ratio: float = 0.35
    seed: int = 42
    relapse_start: int = 10**9
    """The bad-fix story: redirects fail again from this second (the fix had a flaw)."""
    relapse_end: int = 10**9

    def in_spike(self, second: int) -> bool:
        return self.spike_start <= second < self.spike_end or self.relapse_start <= second < self.relapse_end


@dataclass(frozen=True)
class Second:
    second: int
    requests: dict[str, int]
    errors: dict[str, int]


def tick(story: Story, second: int) -> Second:
    rng = random.Random(story.seed * 100_003 + second)
    requests, errors = {}, {}
    for endpoint, share in ENDPOINTS.items():
        n = max(1, round(story.rps * share))
        ratio = story.healthy_error_ratio
        if endpoint == "redirect" and story.in_spike(second):
            ratio = story.spike_error_ratio
        requests[endpoint] = n
        errors[endpoint] = sum(rng.random() < ratio for _ in range(n))
    return Second(second, requests, errors)

