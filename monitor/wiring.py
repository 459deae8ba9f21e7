"""How Candor is put together: the composition root.

Every part of a running Candor is built here, from ``Settings``, in this order::

    settings ─▶ build_runtime ─▶ Runtime(settings, engine, clock, registry, hooks)
                   │               hooks: run, in this order, in the transaction of every
                   │               incident event written in runtime.unit():
                   │                 1. notification outbox  notify.service.enqueue_for_event
                   │                 2. subscribers          comms.subscribers.service.notify_subscribers
                   │                    (one fan-out row; the "subscriber-fanout" job writes the messages)
                   │                 3. reporters            comms.user_reports.service.notify_reporters
                   │                 4. fix did not hold     comms.regression.draft_update_on_regression
                   │                 5. the log              incidents.logs.announce (after commit)
                   │               after such a unit commits: runtime.changes.bump() (what the
                   │               read caches below watch); runtime.principals: tokens seen
                   │               in the last second
                   ▼
             assemble(runtime) ─▶ Candor
                   ├─ signals   SignalHub: the series store (loaded from disk), ingest limits
                   ├─ metrics   every metric, registered once on runtime.registry
                   ├─ rules     RuleManager over the store (embedded mode), alerts → the intake
                   ├─ courier   delivers the outbox
                   ├─ leader    the lease that picks the one replica running singleton jobs
                   ├─ public_pages    PublicPages: /status, feed, status.json, banner rendered
                   │                  once per change (runtime.changes, max(incident_event.id))
                   └─ incident_lists  ByLatestEvent: GET /api/v1/incidents pages per event id
                   │
                   ├─▶ monitor.app.create_app(candor)       routers mounted; parts provided
                   └─▶ start(candor) ─▶ Background: the leader's election thread,
                         monitor.scheduler.start(jobs(candor)) (embedded mode: "self-scrape"
                         stores this replica's own metrics, job="candor"),
                         monitor.signals.scrape.start_scraping(…, active=leader.held) and
                         (embedded mode) fresh_rules(candor): FreshRules on its own thread,
                         told by the ingest hook signals.listeners which metrics arrived,
                         evaluates the groups reading them at once (on the leader)

Singleton jobs (rule evaluation, the verification sweep, postmortem drafts, the digest,
scraping) run in every process's scheduler but act only on the replica holding the
lease, and write through ``leader.unit`` (fenced: a lapsed leader's pass writes nothing;
what it writes carries the epoch). Delivery runs everywhere, one pass per receiver, and
so does the subscriber fan-out.

``candor serve`` and ``candor demo`` do all of it; CLI commands need only
``build_runtime``. Tests build theirs the same way, with their own parts::

    runtime = build_runtime(settings, clock=FixedClock(START), registry=CollectorRegistry())
    candor = assemble(runtime)        # then create_app(candor), deliver_due(candor.courier), …

This module (with ``monitor.app`` and ``monitor.cli``) is the only place that
imports every room and ``postmortem``; no room imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import inspect as sa_inspect
from sqlmodel import col, func, select

from monitor import db, scheduler
from monitor.alerting import service as alerting
from monitor.alerting.identity import Alert
from monitor.alerting.metrics import AlertMetrics
from monitor.api.runtime import Runtime
from monitor.clock import Clock, SystemClock
from monitor.comms.metrics import CadenceCollector
from monitor.comms.public_cache import PublicPages
from monitor.comms.regression import draft_update_on_regression
from monitor.comms.subscribers.models import Subscriber
from monitor.comms.subscribers.service import fan_out_due, notify_subscribers
from monitor.comms.user_reports.metrics import ReportMetrics
from monitor.comms.user_reports.service import notify_reporters
from monitor.config import Settings, cross
from monitor.config.cluster import remote_write_url
from monitor.db.sealed import SecretBox
from monitor.errors import ConfigError
from monitor.incidents.cache import ByLatestEvent
from monitor.incidents.logs import announce
from monitor.incidents.service import EventHook
from monitor.leader.leader import Leader, LeaderCollector
from monitor.notify.channels import DIRECT
from monitor.notify.delivery import Courier, drain
from monitor.notify.metrics import NotifyMetrics
from monitor.notify.service import enqueue_for_event
from monitor.ops.metrics import FromStore, ServiceMetrics
from monitor.promsource import Queryable, signal_source
from monitor.rules.fresh import FreshRules
from monitor.rules.manager import AlertSink, RuleManager
from monitor.scheduler import Job, Scheduler
from monitor.signals.remote_write import RemoteWriter
from monitor.signals.rule_output import RuleOutput
from monitor.signals.scrape import Scraper, SelfScraper, start_scraping
from monitor.signals.service import IngestMetrics, Policy, SignalHub, Sink, open_store
from monitor.signals.store import SeriesStore
from monitor.verification.metrics import VerificationCollector
from monitor.verification.service import sweep
from postmortem import metrics as action_item_metrics
from postmortem import schedule as digest_schedule
from postmortem.service import draft_due
from postmortem.signal import SignalSource, live_source, rule_groups

__all__ = ["Background", "Candor", "Metrics", "assemble", "build_runtime", "event_hooks", "fresh_rules",
           "intake_sink", "jobs", "register_metrics", "start"]


# ---- the runtime and its event hooks --------------------------------------------------


def event_hooks(settings: Settings) -> tuple[EventHook, ...]:
    """What runs, in this order, in the transaction of every incident event."""
    return (
        partial(enqueue_for_event, settings=settings),   # 1. the notification outbox
        partial(notify_subscribers, settings=settings),  # 2. subscribers (notice versions)
        partial(notify_reporters, settings=settings),    # 3. users who reported the problem
        partial(draft_update_on_regression, settings=settings),  # 4. a fix that did not hold
        announce,                                        # 5. the service log, after commit
    )


def build_runtime(settings: Settings, *, clock: Clock | None = None,
                  registry: CollectorRegistry | None = None, migrate: bool = True) -> Runtime:
    """The database (migrated unless ``migrate=False``), the clock, the registry, the hooks."""
    secrets = SecretBox.from_settings(settings)
    engine = db.make_engine(db.database_url(settings))
    if migrate:
        db.upgrade(engine, secret_box=secrets)
    return Runtime(settings=settings, engine=engine, clock=clock or SystemClock(),
                   registry=registry or CollectorRegistry(), hooks=event_hooks(settings),
                   secrets=secrets)


# ---- metrics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """Every metric Candor exports, on one registry. Counters and histograms live here;
    gauges read from the database at scrape time (open incidents, notice cadence, outbox
    depth, overdue action items) are collectors registered beside them."""

    alerts: AlertMetrics     # alerts received, by source and outcome
    service: ServiceMetrics  # HTTP durations; open incidents and transitions read from the store
    notify: NotifyMetrics    # deliveries; queue depth read from the outbox
    reports: ReportMetrics   # user reports
    ingest: IngestMetrics    # samples stored and rejected; series in the store
    # The rule manager registers its own (candor_rule_group_*) on the same registry; fix
    # verification's (candor_fix_verifications_total, candor_time_to_*_seconds, …) are read
    # from the store by monitor.verification.metrics.VerificationCollector.


def register_metrics(runtime: Runtime, store: SeriesStore) -> Metrics:
    """Register every metric once on ``runtime.registry`` (a second call would clash)."""
    registry, engine, clock = runtime.registry, runtime.engine, runtime.clock
    alerts = AlertMetrics(registry)
    service = ServiceMetrics(registry)
    service.watch_store(engine)
    notify = NotifyMetrics(registry, engine, clock,
                           [r.name for r in runtime.settings.notify.receivers])
    action_item_metrics.register(registry, engine, clock)
    registry.register(FromStore(CadenceCollector(engine, clock, runtime.settings.comms.cadence)))
    registry.register(FromStore(VerificationCollector(engine)))  # verdicts, regressions, time to …
    return Metrics(alerts=alerts, service=service, notify=notify, reports=ReportMetrics(registry),
                   ingest=IngestMetrics(registry, store))


# ---- the assembled service ----------------------------------------------------------------


@dataclass(frozen=True)
class Candor:
    """One running Candor: the runtime and the parts built on it (see the module docstring)."""

    runtime: Runtime
    metrics: Metrics
    signals: SignalHub
    rules: RuleManager | None
    """The embedded rule manager; ``None`` in prometheus mode (Prometheus evaluates rules)."""
    courier: Courier
    leader: Leader
    """The lease: whether this replica runs the singleton jobs (started by ``start``)."""
    public_pages: PublicPages
    """The status page, its feed, status.json and the banner, rendered once per change."""
    incident_lists: ByLatestEvent
    """``GET /api/v1/incidents`` pages, kept until the next incident event."""

    def signal_source(self) -> Queryable:
        """PromQL over the live store, or a client of Prometheus in prometheus mode (close it)."""
        return signal_source(self.runtime.settings.engine, self.signals.store)

    def chart_source(self) -> SignalSource:
        """Finds an incident's triggering signal for its chart (``close()`` it when done)."""
        return live_source(self.runtime.settings, self.signals.store, self.rules)

    def close(self) -> None:
        self.signals.close()
        self.runtime.close()


def assemble(runtime: Runtime) -> Candor:
    """Open the series store, register every metric, load the rules (embedded mode).

    In ``[cluster] mode = "replicas"`` samples are forwarded to Prometheus by remote write
    and the store stays empty (in memory). Raises ``ConfigError`` when the config cannot run
    as a cluster (``monitor.config.cross.problems``) and ``RuleFileError``
    (``FILE:LINE:COL`` problems) on a broken rule file."""
    settings, clock = runtime.settings, runtime.clock
    refused = cross.problems(settings)
    if refused:
        raise ConfigError("the [cluster] settings cannot run", lines=[
            f"{'.'.join(key)}: {message}" for key, message in refused])
    _check_secret_key(runtime)
    sink: Sink | None = None
    if settings.cluster.mode == "replicas":
        settings = settings.model_copy(update={"signals": settings.signals.model_copy(
            update={"persist": False})})
        token = settings.cluster.remote_write_bearer_token
        sink = RemoteWriter(remote_write_url(settings.cluster, settings.engine),
                            timeout=settings.cluster.remote_write_timeout.total_seconds(),
                            bearer_token=token.reveal() if token else None)
    store = open_store(settings, clock)
    metrics = register_metrics(runtime, store)
    hub = SignalHub(store, Policy.from_settings(settings.signals), metrics.ingest, clock,
                    sink=sink)
    rules = None
    if settings.engine.mode == "embedded":
        rules = RuleManager.from_settings(settings, RuleOutput(store), registry=runtime.registry)
    leader = Leader(runtime.engine, settings.cluster)
    runtime.registry.register(LeaderCollector(leader))
    courier = Courier(runtime.engine, settings.notify, metrics.notify, clock, worker=leader.holder,
                      secrets=runtime.secrets)
    pages = PublicPages(runtime.engine, clock, runtime.changes)
    return Candor(runtime=runtime, metrics=metrics, signals=hub, rules=rules, courier=courier,
                  leader=leader, public_pages=pages,
                  incident_lists=ByLatestEvent(runtime.engine, runtime.changes))


def _check_secret_key(runtime: Runtime) -> None:
    """Webhook subscribers' secrets are sealed: without the key nothing could sign their
    webhooks, so the service refuses to start rather than fail every delivery."""
    if runtime.secrets is not None or not sa_inspect(runtime.engine).has_table("subscriber"):
        return
    with runtime.unit() as session:
        sealed = session.exec(select(func.count()).select_from(Subscriber).where(
            col(Subscriber.secret).is_not(None))).one()
    if sealed:
        raise ConfigError("secret key missing", lines=[
            f"storage.secret_key: {sealed} webhook subscriber(s) keep a sealed signing secret; "
            'set [storage] secret_key = "env:CANDOR_SECRET_KEY" with the key they were sealed '
            "with (monitor/db/sealed.py)"])


def intake_sink(runtime: Runtime, metrics: AlertMetrics | None = None,
                leader: Leader | None = None) -> AlertSink:
    """Alerts from the rule engine go into Candor's own intake, in one transaction each batch
    (fenced by ``leader`` when given: a lapsed leader's alerts are not written), counted in
    ``candor_alerts_received_total{source="engine"}`` like alerts that come in over HTTP."""
    unit = (lambda: leader.unit(runtime)) if leader is not None else None

    if metrics is not None:
        metrics.start("engine")

    def sink(alerts: list[Alert]) -> None:
        result = runtime.transaction(lambda session: alerting.receive(
            session, alerts, settings=runtime.settings, clock=runtime.clock, source="engine"),
            unit=unit)
        if metrics is not None:
            for outcome, count in result.outcomes.items():
                metrics.received.labels("engine", outcome).inc(count)

    return sink


# ---- background jobs ------------------------------------------------------------------------


def jobs(candor: Candor) -> list[Job]:
    """Every background job, in order. Raises ``ConfigError`` when ``[postmortem]
    digest_receivers`` names a receiver that cannot carry the digest.

    Singleton jobs go through ``candor.leader.guard`` and write through ``leader.unit``;
    delivery runs on every replica, one job per receiver (``notify:<name>``; direct
    webhooks and receivers no longer configured have one each), so a receiver that hangs
    holds up only its own messages; so does ``subscriber-fanout``, which writes the
    messages of a notice version to its subscribers (claimed like deliveries)."""
    runtime, leader = candor.runtime, candor.leader
    settings, clock = runtime.settings, runtime.clock

    def fenced() -> Any:
        return leader.unit(runtime)

    def verify() -> object:
        groups = rule_groups(settings, candor.rules)
        with fenced() as session:
            return sweep(session, settings=settings, clock=clock, source=candor.signal_source,
                         groups=groups)

    def draft_postmortems() -> object:
        with fenced() as session:
            return draft_due(session, clock=clock, settings=settings)

    every = settings.notify.interval.total_seconds()
    names = [r.name for r in settings.notify.receivers]
    found = [
        Job("verification", settings.verification.sweep_interval.total_seconds(),
            leader.guard("verification", verify)),
        *(Job(f"notify:{name}", every, partial(drain, candor.courier, receivers=[name]))
          for name in names),
        Job(f"notify:{DIRECT}", every, partial(drain, candor.courier, receivers=[DIRECT])),
        Job("notify:unconfigured", every, partial(drain, candor.courier, skip=[*names, DIRECT])),
        Job("subscriber-fanout", every, partial(fan_out_due, candor.courier, settings)),
        Job("postmortem-drafts", 30.0, leader.guard("postmortem-drafts", draft_postmortems)),
    ]
    if settings.engine.mode == "embedded" and settings.signals.self_scrape:
        own = SelfScraper(candor.signals, runtime.registry, instance=settings.server.listen,
                          interval=settings.signals.self_scrape_interval)
        found.append(Job("self-scrape", settings.signals.self_scrape_interval.total_seconds(),
                         own.scrape))
    if candor.rules is not None:
        evaluate = _evaluate_rules(candor.rules, intake_sink(runtime, candor.metrics.alerts, leader), clock)
        found.append(Job("rules", 1.0, leader.guard("rules", evaluate)))
    if digest_schedule.scheduled(settings):
        found.append(Job("postmortem-digest", 60.0, leader.guard("postmortem-digest", lambda: (
            digest_schedule.send_due(runtime.engine, settings, now=clock.now(),
                                     signals=candor.signal_source, unit=fenced)))))
    return found


def _evaluate_rules(manager: RuleManager, sink: AlertSink, clock: Clock) -> Callable[[], object]:
    return lambda: manager.evaluate_due(clock.now().timestamp(), sink)


# ---- running in the background -------------------------------------------------------------


@dataclass(frozen=True)
class Background:
    """What ``start`` set running: ``stop()`` ends it (and gives the lease up)."""

    leader: Leader
    scheduler: Scheduler
    scraper: Scraper
    fresh: FreshRules | None = None
    """Rules evaluated as their samples arrive (embedded mode), on the leader."""

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.scraper.stop()
        if self.fresh is not None:
            self.fresh.stop()
        self.leader.stop()


def start(candor: Candor) -> Background:
    """The election, the jobs and the scrapers, in the background (``candor serve``, ``demo``).
    Raises ``ConfigError`` as ``jobs`` does (before anything has started)."""
    found = jobs(candor)
    leader = candor.leader.start()
    background = scheduler.start(found)
    scraper = start_scraping(candor.signals, candor.runtime.settings.scrape, active=leader.held)
    fresh = fresh_rules(candor)
    if fresh is not None:
        candor.signals.listeners.append(fresh.touched)  # the ingest hook
        fresh.start()
    return Background(leader=leader, scheduler=background, scraper=scraper, fresh=fresh)


def fresh_rules(candor: Candor) -> FreshRules | None:
    """Rules evaluated as soon as samples of a metric they read arrive (embedded mode;
    ``None`` in prometheus mode), alerts into the intake, only while this replica leads.
    ``start`` tells it every accepted ingest (``SignalHub.listeners``) and starts its thread."""
    if candor.rules is None:
        return None
    runtime, leader = candor.runtime, candor.leader
    return FreshRules(candor.rules, intake_sink(runtime, candor.metrics.alerts, leader),
                      now=lambda: runtime.clock.now().timestamp(), active=leader.held)
