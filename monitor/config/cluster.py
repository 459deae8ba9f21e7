"""The ``[cluster]`` config section: one Candor process or several replicas, this replica's
name, the leader lease, and where replicas send signals.

```toml
[cluster]
mode = "single"          # "single": one Candor process (the default)
                         # "replicas": several Candor processes behind a load balancer on one
                         #   PostgreSQL; signals live in Prometheus (remote write), rules run there
replica_id = ""          # this replica's name in the lease, logs and metrics; empty: <hostname>-<pid>
lease_ttl = "5s"         # the leader's lease lapses this long after its last renewal
renew_interval = "1s"    # the leader renews this often; the others try to take over as often
remote_write_url = ""    # replicas: where pushed samples go; empty: [engine] prometheus_url
                         #   + "/api/v1/write" (Prometheus started with
                         #   --web.enable-remote-write-receiver; Mimir, Thanos, VictoriaMetrics too)
remote_write_timeout = "5s"
# remote_write_bearer_token = "env:CANDOR_REMOTE_WRITE_TOKEN"
```

Every replica serves the API, the receivers and notification delivery; one replica at a
time, the holder of the lease, runs the singleton jobs (rule evaluation, scraping, the
verification sweep, postmortem drafts, digests). When it stops renewing (killed, cut off
from the database) another takes over within ``lease_ttl + renew_interval``. A single
SQLite process holds the same lease, alone. See ``monitor/leader``.

With several replicas an embedded series store per process would split the data: each
replica's rule engine would see only the samples the load balancer happened to send it.
So ``mode = "replicas"`` is refused at start unless the signals and rules live in one
place outside Candor: ``monitor.config.cross.problems`` lists what to set (``candor
check-config`` prints them with their lines, ``candor serve`` exits 2 on them).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from monitor.config.engine import EngineSettings
from monitor.config.types import PositiveDuration, Secret, Section
from monitor.durations import parse_duration

__all__ = ["Cluster", "remote_write_url"]


def _http_url_or_empty(value: str) -> str:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not an http(s) URL (expected e.g. "
                         "'http://prometheus:9090/api/v1/write')")
    return value


class Cluster(Section):
    mode: Literal["single", "replicas"] = "single"
    replica_id: str = Field("", pattern=r"^[A-Za-z0-9_.:-]{0,100}$")
    lease_ttl: PositiveDuration = parse_duration("5s")
    renew_interval: PositiveDuration = parse_duration("1s")
    remote_write_url: Annotated[str, AfterValidator(_http_url_or_empty)] = ""
    remote_write_timeout: PositiveDuration = parse_duration("5s")
    remote_write_bearer_token: Secret | None = None

    @model_validator(mode="after")
    def _renews_in_time(self) -> Cluster:
        if self.renew_interval * 3 > self.lease_ttl:
            raise ValueError(
                f"renew_interval ({self.renew_interval.total_seconds():g}s) must be at most a third "
                f"of lease_ttl ({self.lease_ttl.total_seconds():g}s), so one slow renewal does not "
                "lose the lease; lower renew_interval or raise lease_ttl")
        return self


def remote_write_url(cluster: Cluster, engine: EngineSettings) -> str:
    """Where pushed samples go in replicas mode: ``remote_write_url``, else Prometheus's
    receiver beside ``[engine] prometheus_url``."""
    return cluster.remote_write_url or engine.prometheus_url.rstrip("/") + "/api/v1/write"
