"""Trial: five receivers behind one ``candor serve``, each in trouble its own way.

``ok`` answers at once; ``slow`` answers after a second; ``flaky`` answers 500; ``down``
has nothing listening; ``hangs`` holds every request (Candor's timeout is long, so its
sends stay in flight). ``ok`` and ``slow`` must get everything while ``hangs`` still holds
its first requests: a receiver in trouble delays only its own messages (each receiver has
its own delivery pass). Then ``flaky`` answers 200, ``down`` comes up, ``hangs`` lets go,
and everything is delivered, once recorded, with every attempt counted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from monitor.notify.models import Delivery, OutboxMessage
from tests.support.processes import candor_process, free_port, wait_for
from tests.support.receiver import webhook_receiver
from tests.trials.conftest import INTAKE, alert, post, report, webhook, write_config

pytestmark = pytest.mark.slow
INCIDENTS = 10
NAMES = ("ok", "slow", "flaky", "down", "hangs")


def test_a_receiver_in_trouble_delays_only_its_own_messages(tmp_path: Path, trial_env, store_of) -> None:
    env = trial_env(None)
    down_port = free_port()
    with webhook_receiver() as hooks:
        urls = {name: f"{hooks.url}/{name}" for name in NAMES} | {"down": f"http://127.0.0.1:{down_port}/down"}
        config = write_config(tmp_path / "candor", notify={
            "interval": "1s", "timeout": "30s", "lease": "1m", "batch_size": 8, "jitter": 0,
            "backoff_initial": "1s", "backoff_max": "2s", "max_attempts": 100,
            "receivers": [{"name": n, "kind": "webhook", "url": urls[n]} for n in NAMES]})
        runtime = store_of(config)
        hooks.behave("/slow", delay=1.0)
        hooks.behave("/flaky", status=500)
        hooks.behave("/hangs", hang=True)
        with candor_process(config, log=tmp_path / "candor.log", env=env) as candor:
            for n in range(INCIDENTS):
                response = post(f"{candor.url}/api/v1/alertmanager", webhook(alert("Trouble", f"svc-{n}")),
                                INTAKE)
                assert response.status_code == 200

            # ok and slow get everything while hangs still holds its first sends, unanswered
            wait_for("ok and slow to get every message", lambda: len(set(hooks.ids("/ok"))) == INCIDENTS
                     and len(set(hooks.ids("/slow"))) == INCIDENTS, timeout=30)
            held = hooks.in_flight("/hangs")
            answered_by_hangs = len(hooks.received("/hangs"))
            failed_before = Counter(r.path for r in hooks.received() if r.answered >= 300)

            hooks.behave("/flaky", status=200)
            with webhook_receiver(down_port) as came_up:
                hooks.release()

                def all_delivered() -> bool:
                    with runtime.unit() as s:
                        states = [m.state for m in s.exec(select(OutboxMessage))]
                    return len(states) == INCIDENTS * len(NAMES) and set(states) == {Delivery.DELIVERED}

                wait_for("every message delivered after recovery", all_delivered, timeout=60)
                up_ids = came_up.ids("/down")

        with runtime.unit() as s:
            rows = list(s.exec(select(OutboxMessage)))

    by_receiver = {n: [m for m in rows if m.receiver == n] for n in NAMES}
    received = {n: set(hooks.ids(f"/{n}")) for n in NAMES} | {"down": set(up_ids)}
    report("receivers down / 500 / hanging / slow (sqlite)", messages=len(rows),
           per_receiver=INCIDENTS, delivered={n: len(received[n]) for n in NAMES},
           attempts={n: sum(m.attempts for m in by_receiver[n]) for n in NAMES},
           held_by_hangs_while_ok_done=held, failed_500_before_recovery=failed_before["/flaky"])
    assert held >= 1 and answered_by_hangs == 0  # hangs had answered nothing when ok was done
    for name in NAMES:
        keys = {m.idempotency_key for m in by_receiver[name]}
        assert len(keys) == INCIDENTS and received[name] == keys, name
        assert all(m.state == Delivery.DELIVERED and m.claim is None for m in by_receiver[name])
    assert all(m.attempts == 1 for n in ("ok", "slow", "hangs") for m in by_receiver[n])
    assert all(m.attempts >= 2 for n in ("flaky", "down") for m in by_receiver[n])
    assert failed_before["/flaky"] >= INCIDENTS
