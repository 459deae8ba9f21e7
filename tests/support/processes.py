"""Real processes for tests and benchmarks: start, wait (always bounded), stop.

    with run_binary(PROMETHEUS, [f"--web.listen-address=127.0.0.1:{port}", ...],
                    log=tmp / "prometheus.log", url=f"http://127.0.0.1:{port}") as url:
        wait_for("a scrape", lambda: query(url, "up"))

- ``free_port()``: a TCP port on 127.0.0.1 nothing listens on right now.
- ``wait_for(what, check, timeout=)``: poll until ``check()`` is truthy; ``TimeoutError``
  naming ``what`` after ``timeout`` seconds.
- ``run_binary``: a Prometheus-family binary (prometheus, prometheus-alertmanager) until the
  block ends, once its ``/-/ready`` answers 200; terminated, then killed after 10 s.
- ``prometheus_with_data(workdir, openmetrics)``: a real Prometheus over the samples given
  as OpenMetrics text (built into TSDB blocks by ``promtool tsdb create-blocks-from
  openmetrics``, any age: retention 100 years); yields its URL.
- ``serve(app)`` / ``serve_candor(candor)``: an ASGI app on uvicorn in a thread on a free
  port; the assembled ``Candor`` stays the caller's to close.
- ``candor_process(config, log=)`` / ``candor_processes(configs, logs=)``: real ``candor
  serve`` processes (replicas) on free ports (``CandorProcess``: ``url``, ``kill()`` is
  ``kill -9``), for trials that kill them.
- ``postgres_cluster()``: a throwaway PostgreSQL (initdb + pg_ctl) on a free port; the
  ``PostgresServer`` it yields is the ``{"host", "port", "user"}`` dict, and can also
  ``stop()`` and ``start()`` the server again on the same port and data.

Failures raise ``StartError`` (missing binary, early exit with the end of its log) or
``TimeoutError``: a test fails with the message, a benchmark stops with it. Nothing here
needs pytest, so ``benchmarks/`` use it as they are.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from monitor.app import create_app
from monitor.wiring import Candor

__all__ = ["ALERTMANAGER", "AMTOOL", "PROMETHEUS", "PROMTOOL", "CandorProcess", "PostgresServer",
           "StartError", "candor_process", "candor_processes", "free_port", "postgres_cluster", "prometheus_with_data",
           "run_binary", "serve",
           "serve_candor", "wait_for"]

_PACKAGES = {"prometheus": "prometheus", "promtool": "prometheus",
             "prometheus-alertmanager": "prometheus-alertmanager",
             "amtool": "prometheus-alertmanager"}


def _binary(name: str) -> str:
    return shutil.which(name) or f"/usr/bin/{name}"


PROMETHEUS = _binary("prometheus")
PROMTOOL = _binary("promtool")
ALERTMANAGER = _binary("prometheus-alertmanager")
AMTOOL = _binary("amtool")
PG_BIN = Path(os.environ.get("CANDOR_PG_BIN", "/usr/lib/postgresql/15/bin"))
STOP_TIMEOUT = 10.0


class StartError(RuntimeError):
    """A real process is missing, exited early or could not be started."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], *, timeout: float = 30.0, poll: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy and return that; ``TimeoutError``
    naming ``what`` after ``timeout`` seconds. ``check`` may raise to give up early."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(poll)


def require(binary: str) -> str:
    """``binary`` if it exists; ``StartError`` naming the Debian package otherwise."""
    if not Path(binary).exists():
        package = _PACKAGES.get(Path(binary).name, Path(binary).name)
        raise StartError(f"{binary} not found: install the Debian package {package}")
    return binary


@contextmanager
def run_binary(binary: str, args: list[str], *, log: Path, url: str,
               timeout: float = 30.0) -> Iterator[str]:
    """Run ``binary`` with ``args`` (output to ``log``) until the block ends; yields ``url``
    once ``url/-/ready`` answers 200."""
    name = Path(require(binary)).name
    with log.open("w") as out:
        process = subprocess.Popen([binary, *args], stdout=out, stderr=subprocess.STDOUT)

        def ready() -> bool:
            if process.poll() is not None:
                raise StartError(f"{name} exited with {process.returncode}: "
                                 f"{log.read_text(errors='replace')[-2000:]}")
            try:
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for(f"{name} to be ready at {url}", ready, timeout=timeout)
            yield url
        finally:
            stop(process)


@contextmanager
def prometheus_with_data(workdir: Path, openmetrics: str, *, rules: str | None = None,
                         timeout: float = 30.0) -> Iterator[str]:
    """A real Prometheus serving ``openmetrics`` (text ending in ``# EOF``), evaluating the
    rule file text ``rules`` if given; yields its URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    source, tsdb = workdir / "data.om", workdir / "tsdb"
    source.write_text(openmetrics)
    built = subprocess.run([require(PROMTOOL), "tsdb", "create-blocks-from", "openmetrics",
                            str(source), str(tsdb)], capture_output=True, text=True, timeout=120)
    if built.returncode != 0:
        raise StartError(f"promtool could not build blocks: {built.stderr[-2000:]}")
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  evaluation_interval: 1m\n")
    if rules is not None:
        (workdir / "rules.yml").write_text(rules)
        config.write_text(f"global:\n  evaluation_interval: 1m\nrule_files: [{workdir / 'rules.yml'}]\n")
    port = free_port()
    with run_binary(PROMETHEUS, [f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
                                 f"--web.listen-address=127.0.0.1:{port}",
                                 "--storage.tsdb.retention.time=100y"],
                    log=workdir / "prometheus.log", url=f"http://127.0.0.1:{port}",
                    timeout=timeout) as url:
        yield url


def stop(process: subprocess.Popen[Any]) -> None:
    """Terminate ``process``; kill it if it has not exited after ``STOP_TIMEOUT`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serve(app: ASGIApp, *, timeout: float = 20.0) -> Iterator[str]:
    """``app`` on uvicorn at a free 127.0.0.1 port until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def started() -> bool:
        if not thread.is_alive():
            raise StartError(f"uvicorn stopped before it listened on 127.0.0.1:{port}")
        return server.started

    try:
        wait_for("uvicorn to listen", started, timeout=timeout, poll=0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_TIMEOUT)


def serve_candor(candor: Candor, *, timeout: float = 20.0) -> AbstractContextManager[str]:
    """Candor's app (see ``serve``); closing ``candor`` is the caller's."""
    return serve(create_app(candor), timeout=timeout)


class CandorProcess:
    """A ``candor serve`` process: ``url``, ``pid``, ``kill()`` (SIGKILL, as a crash),
    ``stop()`` (SIGTERM, as a deploy), ``alive``."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs, the lease and any claims are left as they were."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.alive:
            stop(self.process)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _spawn_candor(config: Path, log: Path, env: Mapping[str, str] | None) -> CandorProcess:
    port = free_port()
    command = [sys.executable, "-m", "monitor.cli.main", "serve", "--config", str(config),
               "--listen", f"127.0.0.1:{port}"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=config.parent,
                                   env={**os.environ, **(env or {})})
    return CandorProcess(process, f"http://127.0.0.1:{port}", log)


def _wait_healthy(candor: CandorProcess, timeout: float) -> None:
    def healthy() -> bool:
        if not candor.alive:
            raise StartError(f"candor serve exited with {candor.process.returncode}: {candor.tail()}")
        try:
            return httpx.get(f"{candor.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(f"candor serve at {candor.url}", healthy, timeout=timeout)


@contextmanager
def candor_processes(configs: list[Path], *, logs: list[Path], env: Mapping[str, str] | None = None,
                     timeout: float = 90.0) -> Iterator[list[CandorProcess]]:
    """``candor serve --config C`` for each config, started together (replicas), each on a free
    127.0.0.1 port, until the block ends (then stopped, unless already killed); yields once
    every ``/healthz`` answers."""
    started: list[CandorProcess] = []
    try:
        for config, log in zip(configs, logs, strict=True):
            started.append(_spawn_candor(config, log, env))
        for candor in started:
            _wait_healthy(candor, timeout)
        yield started
    finally:
        for candor in started:
            candor.stop()


@contextmanager
def candor_process(config: Path, *, log: Path, env: Mapping[str, str] | None = None,
                   timeout: float = 60.0) -> Iterator[CandorProcess]:
    """One ``candor serve`` (see ``candor_processes``)."""
    with candor_processes([config], logs=[log], env=env, timeout=timeout) as (candor,):
        yield candor


class PostgresServer(dict[str, Any]):
    """``{"host", "port", "user"}`` of a throwaway cluster, which ``stop()`` and ``start()``
    take down and bring back on the same port with the same data."""

    def __init__(self, values: dict[str, Any], control: Callable[[str], None]) -> None:
        super().__init__(values)
        self._control = control

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m mode``: ``fast`` ends every connection; ``immediate`` is a crash."""
        self._control(mode)

    def start(self) -> None:
        self._control("start")


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: when we are root, run its binaries as ``postgres``."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@contextmanager
def postgres_cluster(pg_bin: Path = PG_BIN, *, timeout: float = 30.0) -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster on a free port until the block ends; yields
    ``{"host", "port", "user"}`` (trust authentication, durability off for speed).

    The data directory lives under the system temp dir (pytest's own is private to
    root, and the server runs as ``postgres`` when we run as root)."""
    pg_ctl = pg_bin / "pg_ctl"
    if not pg_ctl.exists():
        raise StartError(f"{pg_ctl} not found: install the Debian package postgresql "
                         "(or set CANDOR_PG_BIN to the directory holding pg_ctl)")
    base = Path(tempfile.mkdtemp(prefix="candor-pg-"))
    prefix = _as_postgres()
    if prefix:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=2 * timeout,
                       cwd=base)

    options = (f"-p {port} -h 127.0.0.1 -k {base} -F -c fsync=off "
               "-c full_page_writes=off -c synchronous_commit=off")

    def control(action: str) -> None:
        if action == "start":
            run(str(pg_ctl), "-D", str(data), "-o", options, "-l", str(base / "server.log"),
                "-w", "-t", str(round(timeout)), "start")
        else:
            run(str(pg_ctl), "-D", str(data), "-m", action, "-w", "-t", str(round(timeout)), "stop")

    try:
        run(str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync")
        control("start")
    except subprocess.CalledProcessError as exc:
        log = base / "server.log"
        message = (f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}"
                   f"{log.read_text() if log.exists() else ''}")
        shutil.rmtree(base, ignore_errors=True)
        raise StartError(message) from None
    try:
        yield PostgresServer({"host": "127.0.0.1", "port": port, "user": "postgres"}, control)
    finally:
        subprocess.run([*prefix, str(pg_ctl), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=2 * timeout, cwd=base)
        shutil.rmtree(base, ignore_errors=True)
