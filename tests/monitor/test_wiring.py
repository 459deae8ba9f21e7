"""The composition root: hooks in their order, the job list, the layers it keeps apart."""

from __future__ import annotations

import ast
from pathlib import Path

from monitor.config import Settings
from monitor.wiring import Candor, event_hooks, jobs

ROOT = Path(__file__).resolve().parents[2]
COMPOSITION = ("monitor.wiring", "monitor.app", "monitor.cli")
LAZY_ALLOWED = {("postmortem.report", "postmortem.charts"), ("postmortem.digest", "postmortem.charts"),
                ("exporters._exporter", "exporters._push")}  # matplotlib; the push thread


def test_every_incident_event_runs_the_outbox_then_subscribers_then_reporters(
        settings: Settings) -> None:
    assert [hook.func.__name__ for hook in event_hooks(settings)] == [  # type: ignore[attr-defined]
        "enqueue_for_event", "notify_subscribers", "notify_reporters"]


def test_the_job_list(candor: Candor, make_settings, make_candor) -> None:  # type: ignore[no-untyped-def]
    assert [job.name for job in jobs(candor)] == [
        "verification", "notify", "postmortem-drafts", "rules"]
    prometheus = make_candor(make_settings(
        engine={"mode": "prometheus", "prometheus_url": "http://127.0.0.1:9"},
        notify={"receivers": [{"name": "wiki", "kind": "webhook", "url": "http://127.0.0.1:9/x"}]},
        postmortem={"digest_receivers": ["wiki"]}))
    assert prometheus.rules is None
    assert [job.name for job in jobs(prometheus)] == [
        "verification", "notify", "postmortem-drafts", "postmortem-digest"]


def _imports() -> list[tuple[str, str, bool]]:
    """``(importer, imported, inside a function)`` for every import of a project module."""
    found = []
    for path in [*ROOT.glob("monitor/**/*.py"), *ROOT.glob("postmortem/**/*.py"),
                 *ROOT.glob("exporters/**/*.py")]:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        local = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                 for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:  # the module, or one of its modules
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                if name.split(".")[0] in ("monitor", "postmortem", "exporters"):
                    found.append((module, name, id(node) in local))
    return found


def _modules() -> set[str]:
    return {a for a, _, _ in _imports()}


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_rooms_import_neither_the_composition_layer_nor_postmortem() -> None:
    wrong = [(a, b) for a, b, _ in _imports() if not _within(a, COMPOSITION) and (
        _within(b, COMPOSITION) or (_within(b, ("postmortem",)) and not _within(a, ("postmortem",)))
        or (_within(a, ("exporters",)) and not _within(b, ("exporters",))))]
    assert wrong == []


def test_no_function_imports_a_project_module() -> None:
    assert {(a, b) for a, b, local in _imports() if local and b in _modules()} <= LAZY_ALLOWED
