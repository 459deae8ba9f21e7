"""The simulated EVERLINKS app: it records what it serves with Candor's exporters library."""

from __future__ import annotations

import random

from exporters import Exporter
from monitor.demo.traffic import Second

ROUTES = {"redirect": "/l/{slug}", "shorten": "/api/links", "stats": "/api/links/{id}/stats"}


def record(exporter: Exporter, second: Second) -> None:
    """Record one second of traffic: each request with its latency, each failure as an error."""
    rng = random.Random(second.second)
    for endpoint, count in second.requests.items():
        route = ROUTES[endpoint]
        failures = second.errors[endpoint]
        for i in range(count):
            failed = i < failures
            exporter.request(route, method="GET", status=503 if failed else 200,
                             seconds=rng.uniform(0.2, 1.5) if failed else rng.uniform(0.005, 0.05))
            if failed:
                exporter.error("cache_unavailable", endpoint=route, user_visible=True, severity="error")
                if i == 0 and second.second % 4 == 0:  # now and then a user tells support
                    exporter.user_report("cannot_open_link", endpoint=route)
