"""The ``[cluster]`` config section: this replica's name and the leader lease.

```toml
[cluster]
replica_id = ""          # this replica's name in the lease, logs and metrics; empty: <hostname>-<pid>
lease_ttl = "5s"         # the leader's lease lapses this long after its last renewal
renew_interval = "1s"    # the leader renews this often; the others try to take over as often
```

Every replica serves the API, the receivers and notification delivery; one replica at a
time, the holder of the lease, runs the singleton jobs (rule evaluation, scraping, the
verification sweep, postmortem drafts, digests). When it stops renewing (killed, cut off
from the database) another takes over within ``lease_ttl + renew_interval``. A single
SQLite process holds the same lease, alone. See ``monitor/leader``.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from monitor.config.types import PositiveDuration, Section
from monitor.durations import parse_duration


class Cluster(Section):
    replica_id: str = Field("", pattern=r"^[A-Za-z0-9_.:-]{0,100}$")
    lease_ttl: PositiveDuration = parse_duration("5s")
    renew_interval: PositiveDuration = parse_duration("1s")

    @model_validator(mode="after")
    def _renews_in_time(self) -> Cluster:
        if self.renew_interval * 3 > self.lease_ttl:
            raise ValueError(
                f"renew_interval ({self.renew_interval.total_seconds():g}s) must be at most a third "
                f"of lease_ttl ({self.lease_ttl.total_seconds():g}s), so one slow renewal does not "
                "lose the lease; lower renew_interval or raise lease_ttl")
        return self
