"""Trial: PostgreSQL stops and comes back while two replicas take a stream of alerts.

While it is down the replicas answer ``/readyz`` with 503 and the intake with 503 and
``Retry-After`` (never a 500, never a reset); when it is back they are ready again by
themselves (same processes), and everything acknowledged is recorded exactly once:
what was refused is sent again, as Alertmanager does, and deduplicated.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_postgresql.janitor import DatabaseJanitor
from sqlmodel import select

from monitor.event_types import EventType
from monitor.incidents.models import Incident, IncidentEvent
from tests.support.processes import CandorProcess, candor_processes, postgres_cluster, wait_for
from tests.trials.conftest import INTAKE, alert, report, status_of, webhook, write_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
GROUPS = 20
PER_GROUP = 3


def ready(candor: CandorProcess) -> int:
    try:
        return httpx.get(f"{candor.url}/readyz", timeout=5).status_code
    except httpx.HTTPError:
        return 0


class Stream:
    """Alerts sent round-robin from several threads; each refused one is kept to send again."""

    def __init__(self, replicas: list[CandorProcess]) -> None:
        self.replicas = itertools.cycle(replicas)
        self.lock = threading.Lock()
        self.answers: Counter[str] = Counter()
        self.acknowledged: set[str] = set()
        self.refused: list[tuple[dict[str, Any], str]] = []
        self.retry_after: set[str] = set()

    def send(self, body: dict[str, Any], fingerprint: str) -> None:
        with self.lock:
            candor = next(self.replicas)
        try:
            response: httpx.Response | BaseException = httpx.post(
                f"{candor.url}/api/v1/alertmanager", json=body, headers=INTAKE, timeout=30)
        except httpx.HTTPError as error:
            response = error
        with self.lock:
            self.answers[status_of(response)] += 1
            if isinstance(response, httpx.Response) and response.status_code == 200:
                self.acknowledged.add(fingerprint)
                return
            self.refused.append((body, fingerprint))
            if isinstance(response, httpx.Response) and "retry-after" in response.headers:
                self.retry_after.add(response.headers["retry-after"])


def test_replicas_wait_out_a_database_restart_and_lose_nothing_acknowledged(
        tmp_path: Path, trial_env, store_of) -> None:
    with postgres_cluster() as pg:
        janitor = DatabaseJanitor(user=pg["user"], host=pg["host"], port=pg["port"],
                                  dbname="candor_restart", connection_timeout=10)
        janitor.init()
        url = f"postgresql://{pg['user']}@{pg['host']}:{pg['port']}/candor_restart"
        env = trial_env(url)
        configs = [write_config(tmp_path / name, database_url=url, cluster={"replica_id": name})
                   for name in ("r1", "r2")]
        runtime = store_of(configs[0])
        alerts = [(webhook(alert("Restart", f"svc-{g}", instance=f"i{n}")), f"{g}/{n}")
                  for g in range(GROUPS) for n in range(PER_GROUP)]
        with candor_processes(configs, logs=[tmp_path / f"{c.parent.name}.log" for c in configs],
                              env=env) as replicas:
            pids = [r.pid for r in replicas]
            stream = Stream(replicas)
            with ThreadPoolExecutor(max_workers=4) as pool:
                sending = [pool.submit(stream.send, body, fp) for body, fp in alerts]
                wait_for("a third acknowledged", lambda: len(stream.acknowledged) >= len(alerts) // 3,
                         timeout=60)
                pg.stop("fast")  # under load: every connection ends; nothing listens on the port
                wait_for("both replicas to answer not ready",
                         lambda: all(ready(r) == 503 for r in replicas), timeout=30)
                pg.start()
                wait_for("both replicas to be ready again",
                         lambda: all(ready(r) == 200 for r in replicas), timeout=60)
                for future in sending:
                    future.result()
            while_down = Counter(stream.answers)
            refused, stream.refused = stream.refused, []
            for body, fingerprint in refused:  # Alertmanager sends a refused webhook again
                stream.send(body, fingerprint)
            leader_count = wait_for("a leader again", lambda: sum(
                1 for r in replicas if "candor_leader 1.0" in httpx.get(f"{r.url}/metrics").text) == 1,
                timeout=30)
            assert [r.pid for r in replicas] == pids and all(r.alive for r in replicas)

        with runtime.unit() as s:
            incidents = list(s.exec(select(Incident)))
            attached = Counter(e.payload["fingerprint"] for e in s.exec(
                select(IncidentEvent).where(IncidentEvent.type == EventType.ALERT_ATTACHED)))
        runtime.close()
        janitor.drop()

    report("PostgreSQL restarted under load (2 replicas)", alerts=len(alerts),
           sent=sum(stream.answers.values()), acknowledged=len(stream.acknowledged),
           refused=while_down["503"], resent=len(refused), recorded=len(attached),
           incidents=len(incidents), groups=GROUPS, answers=dict(stream.answers))
    assert leader_count
    assert "500" not in stream.answers and set(stream.answers) <= {"200", "503"}
    assert while_down["503"] >= 1 and stream.retry_after == {"5"}
    assert stream.acknowledged == {fp for _, fp in alerts} and stream.refused == []
    assert len(attached) == GROUPS * PER_GROUP and set(attached.values()) == {1}
    assert len(incidents) == GROUPS
