"""The differential run: the same random expressions, over the same data, through the real
``prometheus`` (Debian's 2.42, loaded with ``promtool tsdb create-blocks-from
openmetrics``, asked over its HTTP API) and through Candor's query API functions
(:mod:`monitor.promapi.service`, the embedded engine over the series store).

    with Prometheus.serve(workdir) as prom:
        report = run(prom, count=300, seed=1)
    report.unexplained          # the cases no justified class explains

Each expression is asked as an instant query at several times off the sample grid
(or, in grid mode, on it: window boundaries then land on samples) and once as a range
query. A differing answer is looked up in :mod:`.justified`; what nothing explains is
*unexplained*.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from monitor.promapi import service
from monitor.promapi.params import ApiError
from monitor.promql.engine import Engine
from monitor.promql.storage import MemoryStorage, Storage
from tests.monitor.promql.differential import justified
from tests.monitor.promql.differential.compare import Answer, Difference, answer, differences
from tests.monitor.promql.differential.data import T0, dataset, openmetrics, series_store
from tests.monitor.promql.differential.generator import Generator
from tests.support.processes import PROMETHEUS, PROMTOOL, free_port, run_binary

#: Instant-query times (seconds after T0), off the 250 ms sample grid: near the start,
#: inside, at the end, and after the data (lookback running out).
OFF_GRID = [37.137, 600.391, 1800.613, 2999.877, 3610.003, 3905.129]
#: Grid mode: whole minutes, where the counters' samples sit (left window edges hit them).
ON_GRID = [60.0, 600.0, 1800.0, 3000.0, 3600.0, 3900.0]
#: Range queries: (start, end, step) seconds after T0.
RANGE_OFF_GRID = (300.137, 3900.137, 60.0)
RANGE_ON_GRID = (300.0, 3900.0, 60.0)


class Prometheus:
    """A running Prometheus over the synthetic data; :meth:`ask` answers a query."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(base_url=url, timeout=60)

    @classmethod
    @contextmanager
    def serve(cls, workdir: Path) -> Iterator[Prometheus]:
        """Write the data, build TSDB blocks with promtool, start Prometheus on them."""
        workdir.mkdir(parents=True, exist_ok=True)
        source = workdir / "data.om"
        source.write_text(openmetrics(dataset()))
        tsdb = workdir / "tsdb"
        shutil.rmtree(tsdb, ignore_errors=True)
        built = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics",
                                str(source), str(tsdb)], capture_output=True, text=True,
                               timeout=120)
        if built.returncode != 0:
            raise RuntimeError(f"promtool could not build blocks: {built.stderr[-2000:]}")
        config = workdir / "prometheus.yml"
        config.write_text("global:\n  evaluation_interval: 1m\n")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serving = run_binary(
            PROMETHEUS,
            [f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
             f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y"],
            log=workdir / "prometheus.log", url=url)
        with serving:
            prom = cls(url)
            try:
                yield prom
            finally:
                prom.client.close()

    def instant(self, expr: str, t: float) -> Answer:
        return self._get("/api/v1/query", {"query": expr, "time": f"{t:.3f}"})

    def range(self, expr: str, start: float, end: float, step: float) -> Answer:
        return self._get("/api/v1/query_range", {"query": expr, "start": f"{start:.3f}",
                                                 "end": f"{end:.3f}", "step": f"{step:g}"})

    def _get(self, path: str, params: dict[str, str]) -> Answer:
        response = self.client.get(path, params=params)
        return answer(response.json())


class Candor:
    """Candor's Prometheus API functions over the same samples in its series store."""

    def __init__(self, store: Storage | None = None, **engine: Any) -> None:
        self.store = store if store is not None else series_store(dataset())
        self.engine = Engine(self.store, **engine)
        #: The Prometheus being compared with, for justifications that ask it again.
        self.prometheus: Prometheus | None = None

    def variant(self, **engine: Any) -> Candor:
        """Candor over the same samples in a fresh in-memory storage (nothing cached),
        with other engine settings: the justifications' emulations run here."""
        memory = MemoryStorage()
        for s in dataset():
            memory.add(s.labels, s.samples)
        again = Candor(memory, **engine)
        again.prometheus = self.prometheus
        return again

    def instant(self, expr: str, t: float) -> Answer:
        return self._answer(lambda: service.query(self.engine, expr, round(t, 3)))

    def range(self, expr: str, start: float, end: float, step: float) -> Answer:
        return self._answer(lambda: service.query_range(self.engine, expr, round(start, 3),
                                                        round(end, 3), step))

    @staticmethod
    def _answer(ask: Any) -> Answer:
        try:
            return answer(ask())
        except ApiError as exc:
            return answer(exc.body())
        except Exception as exc:  # a crash (a 500 from the API): always a difference
            return Answer("error", error_type="crash", error=f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Query:
    """One question: ``expr`` at ``t`` (instant) or over ``start..end`` by ``step``."""

    expr: str
    t: float = 0.0
    start: float = 0.0
    end: float = 0.0
    step: float = 0.0

    def with_expr(self, expr: str) -> Query:
        return replace(self, expr=expr)

    def with_instant(self, t: float) -> Query:
        return Query(self.expr, t=t)

    @property
    def is_range(self) -> bool:
        return self.step > 0

    def ask(self, side: Prometheus | Candor) -> Answer:
        if self.is_range:
            return side.range(self.expr, self.start, self.end, self.step)
        return side.instant(self.expr, self.t)

    def __str__(self) -> str:
        if self.is_range:
            return (f"{self.expr}  [range T0+{self.start - T0:g}..T0+{self.end - T0:g} "
                    f"step {self.step:g}]")
        return f"{self.expr}  [instant T0+{self.t - T0:g}]"


@dataclass
class Case:
    """A query whose answers differ, and what explained it (``cls``, or None)."""

    query: Query
    theirs: Answer
    ours: Answer
    diffs: list[Difference]
    cls: str | None = None

    def report(self) -> str:
        lines = [f"{self.query}", f"  prometheus: {self.theirs.short()}",
                 f"  candor:     {self.ours.short()}"]
        lines += [f"  - {d}" for d in self.diffs[:5]]
        return "\n".join(lines)


@dataclass
class Report:
    expressions: int = 0
    compared: int = 0
    identical: int = 0
    both_failed: int = 0
    justified: Counter[str] = field(default_factory=Counter)
    unexplained: list[Case] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"expressions: {self.expressions}", f"compared:    {self.compared} queries",
                 f"identical:   {self.identical} (both failed alike: {self.both_failed})"]
        for name, n in sorted(self.justified.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"justified:   {n:5d}  {name}")
        lines.append(f"unexplained: {len(self.unexplained)}")
        lines.append(f"time:        {self.seconds:.1f}s")
        return "\n".join(lines)


def queries(expr: str, *, grid: bool) -> list[Query]:
    """The instant queries and the range query asked of ``expr``."""
    times = ON_GRID if grid else OFF_GRID
    start, end, step = RANGE_ON_GRID if grid else RANGE_OFF_GRID
    return [*(Query(expr, t=T0 + t) for t in times),
            Query(expr, start=T0 + start, end=T0 + end, step=step)]


def check_data(prom: Prometheus, candor: Candor) -> None:
    """Both sides hold exactly the same samples (else nothing else means anything)."""
    query = Query('{__name__=~".+"}[2h]', t=T0 + 3700.0)
    diffs = differences(query.ask(prom), query.ask(candor))
    if diffs:
        raise AssertionError("the two stores differ: " + "; ".join(map(str, diffs[:5])))


def compare(query: Query, prom: Prometheus, candor: Candor) -> Case:
    """Both answers and what differs, classified (``cls``) when something does."""
    theirs, ours = query.ask(prom), query.ask(candor)
    case = Case(query, theirs, ours, differences(theirs, ours,
                                                 ordered=justified.ordered(query.expr)))
    if case.diffs:
        case.cls = justified.classify(case, candor)
    return case


def run(prom: Prometheus, *, count: int, seed: int, grid: bool = False,
        candor: Candor | None = None) -> Report:
    """Compare ``count`` random expressions from ``seed``."""
    began = time.monotonic()
    candor = candor or Candor()
    candor.prometheus = prom
    check_data(prom, candor)
    gen = Generator(random.Random(seed))
    report = Report()
    for _ in range(count):
        expr = gen.expression()
        report.expressions += 1
        for query in queries(expr, grid=grid):
            report.compared += 1
            case = compare(query, prom, candor)
            if not case.diffs:
                report.identical += 1
                report.both_failed += case.theirs.failed
            elif case.cls is not None:
                report.justified[case.cls] += 1
            else:
                report.unexplained.append(case)
    report.seconds = time.monotonic() - began
    return report
