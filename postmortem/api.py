"""Postmortem routes: thin handlers over ``postmortem.service``, ``report`` and ``digest``.

Mount with ``app.include_router(postmortem.api.router)``. The composition root provides
``chart_source`` (a new ``postmortem.signal.SignalSource`` per report: the live series
store or Prometheus, and the rules the service evaluates; the chart shows the firing
rule's expression, else ``ALERTS``) and ``promql_source`` (PromQL for the digest's SLO
budgets). Embedders provide their own to chart from elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from monitor.api.deps import Provided, Responder, RuntimeDep, Viewer
from monitor.incidents import service as incidents
from monitor.incidents.models import Incident
from monitor.promsource import Queryable
from postmortem import report, service
from postmortem.digest import load_digest
from postmortem.lint import lint
from postmortem.models import (
    ActionItem,
    ActionItemCreate,
    ActionItemPublic,
    ActionItemUpdate,
    AnnotationCreate,
    Content,
    ContentPatch,
    Postmortem,
    PostmortemPublic,
    ReviewRequest,
)
from postmortem.render import render
from postmortem.signal import SignalSource
from postmortem.timeline import build_timeline

router = APIRouter(prefix="/api/v1", tags=["postmortems"])
Key = Annotated[str, "incident key, e.g. INC-42"]
MEDIA = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8",
         "pdf": "application/pdf", "json": "application/json"}

chart_source = Provided[Callable[[], SignalSource]]("chart_source")
promql_source = Provided[Callable[[], Queryable]]("promql_source")
ChartSource = Annotated[Callable[[], SignalSource], Depends(chart_source)]
PromQLSource = Annotated[Callable[[], Queryable], Depends(promql_source)]


class VersionPublic(BaseModel):
    version: int
    actor: str
    at: datetime
    content: Content


class HistoryPublic(BaseModel):
    type: str
    actor: str
    at: datetime
    payload: dict[str, Any]


class EntryPublic(BaseModel):
    seq: int
    at: datetime
    offset_seconds: float
    type: str
    category: str
    actor: str
    key_moment: bool
    hidden: bool
    notes: list[str]
    payload: dict[str, Any]


def _public(session: Any, incident: Incident, pm: Postmortem) -> PostmortemPublic:
    return PostmortemPublic(
        incident=incident.key, status=pm.status, version=pm.version,
        content=Content.model_validate(pm.content), created_at=pm.created_at,
        updated_at=pm.updated_at, published_at=pm.published_at,
        approvals=service.approvals(session, pm),
        findings=[f.as_dict() for f in lint(pm.content)],
    )


def _item(item: ActionItem, runtime: RuntimeDep) -> ActionItemPublic:
    out = ActionItemPublic.model_validate(item)
    out.overdue = service.is_overdue(item, runtime.clock.now().date())
    return out


_TEXT = {"schema": {"type": "string"}}
RENDERED: dict[int | str, dict[str, Any]] = {200: {"description": "the rendered report", "content": {
    "text/markdown": _TEXT, "text/html": _TEXT,
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
DIGEST: dict[int | str, dict[str, Any]] = {200: {"description": "the digest (JSON, or rendered)",
                                               "content": {"application/json": {},
                                                           **RENDERED[200]["content"]}}}

@router.get("/incidents/{key}/postmortem", response_model=PostmortemPublic)
def show(runtime: RuntimeDep, _: Viewer, key: Key) -> PostmortemPublic:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        return _public(s, incident, service.get_or_raise(s, incident))


@router.post("/incidents/{key}/postmortem", response_model=PostmortemPublic, status_code=201)
def create(runtime: RuntimeDep, who: Responder, key: Key) -> PostmortemPublic:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        return _public(s, incident, service.create(s, incident, actor=who.name, clock=runtime.clock,
                                                   lang=runtime.settings.postmortem.default_lang))


@router.patch("/incidents/{key}/postmortem", response_model=PostmortemPublic)
def edit(runtime: RuntimeDep, who: Responder, key: Key, body: ContentPatch) -> PostmortemPublic:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        pm = service.edit(s, service.get_or_raise(s, incident), body, actor=who.name,
                          clock=runtime.clock)
        return _public(s, incident, pm)


@router.post("/incidents/{key}/postmortem/review", response_model=PostmortemPublic)
def review(runtime: RuntimeDep, who: Responder, key: Key, body: ReviewRequest) -> PostmortemPublic:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        pm = service.review(s, service.get_or_raise(s, incident), body.action, actor=who.name,
                            clock=runtime.clock, settings=runtime.settings, comment=body.comment)
        return _public(s, incident, pm)


@router.get("/incidents/{key}/postmortem/versions", response_model=list[VersionPublic])
def versions(runtime: RuntimeDep, _: Viewer, key: Key) -> list[VersionPublic]:
    with runtime.unit() as s:
        pm = service.get_or_raise(s, incidents.get_by_key_or_raise(s, key))
        return [VersionPublic.model_validate(v, from_attributes=True) for v in service.versions(s, pm)]


@router.get("/incidents/{key}/postmortem/history", response_model=list[HistoryPublic])
def history(runtime: RuntimeDep, _: Viewer, key: Key) -> list[HistoryPublic]:
    with runtime.unit() as s:
        pm = service.get_or_raise(s, incidents.get_by_key_or_raise(s, key))
        return [HistoryPublic.model_validate(e, from_attributes=True) for e in service.history(s, pm)]


@router.get("/incidents/{key}/postmortem/render", response_model=None, response_class=Response,
            responses=RENDERED)
def render_postmortem(
    runtime: RuntimeDep, sources: ChartSource, _: Viewer, key: Key,
    format: Literal["md", "html", "pdf"] = "html",
    lang: Literal["en", "pt-BR"] | None = None,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    section = runtime.settings.postmortem
    source = sources()
    try:
        with runtime.unit() as s:
            doc = report.load(s, key, now=runtime.clock.now(), version=version, source=source)
    finally:
        source.close()
    output = render(doc, format, lang or section.default_lang, templates_dir=section.templates_dir,
                    pdf_timeline_limit=section.pdf_timeline_limit)
    body = output if isinstance(output, bytes) else output.encode()
    headers = {"Content-Disposition": f'inline; filename="{key}-postmortem.{format}"'}
    return Response(body, media_type=MEDIA[format], headers=headers)


@router.get("/incidents/{key}/timeline", response_model=list[EntryPublic])
def timeline(runtime: RuntimeDep, _: Viewer, key: Key) -> list[EntryPublic]:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        entries = build_timeline(incidents.events(s, incident),
                                 annotations=service.overlays(s, incident))
    return [EntryPublic(seq=e.seq, at=e.at, offset_seconds=e.offset.total_seconds(), type=e.type,
                        category=e.category, actor=e.actor, key_moment=e.key_moment,
                        hidden=e.hidden, notes=list(e.notes), payload=e.payload) for e in entries]


@router.post("/incidents/{key}/timeline/annotations", status_code=201)
def annotate(runtime: RuntimeDep, who: Responder, key: Key, body: AnnotationCreate) -> dict[str, Any]:
    with runtime.unit() as s:
        row = service.annotate(s, incidents.get_by_key_or_raise(s, key), body, actor=who.name,
                               clock=runtime.clock)
        return {"id": row.id, "event_seq": row.event_seq, "kind": row.kind, "text": row.text,
                "actor": row.actor, "at": row.at}


@router.get("/incidents/{key}/postmortem/action-items", response_model=list[ActionItemPublic])
def list_items(runtime: RuntimeDep, _: Viewer, key: Key) -> list[ActionItemPublic]:
    with runtime.unit() as s:
        return [_item(i, runtime) for i in service.items(s, incidents.get_by_key_or_raise(s, key))]


@router.post("/incidents/{key}/postmortem/action-items", response_model=ActionItemPublic,
             status_code=201)
def add_item(runtime: RuntimeDep, _: Responder, key: Key, body: ActionItemCreate) -> ActionItemPublic:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        return _item(service.add_item(s, incident, body, clock=runtime.clock), runtime)


@router.patch("/incidents/{key}/postmortem/action-items/{item_id}", response_model=ActionItemPublic)
def update_item(runtime: RuntimeDep, _: Responder, key: Key, item_id: int,
                body: ActionItemUpdate) -> ActionItemPublic:
    with runtime.unit() as s:
        item = service.item_or_raise(s, incidents.get_by_key_or_raise(s, key), item_id)
        return _item(service.update_item(s, item, body, clock=runtime.clock), runtime)


@router.get("/digest", response_model=None, summary="Leadership digest", responses=DIGEST)
@router.get("/reports/digest", response_model=None, deprecated=True, responses=DIGEST,
            summary="Leadership digest (old path: use GET /api/v1/digest)")
def digest(
    runtime: RuntimeDep, signals: PromQLSource, _: Viewer,
    period: Literal["week", "month", "quarter"] = "week",
    format: Literal["json", "md", "html", "pdf"] = "json",
    lang: Literal["en", "pt-BR"] | None = None,
) -> Response | dict[str, Any]:
    section = runtime.settings.postmortem
    with runtime.unit() as s:
        result = load_digest(s, period, runtime.clock.now(), settings=runtime.settings,
                             signals=signals() if runtime.settings.slo else None)
    if format == "json":
        return result.as_dict()
    output = render(result, format, lang or section.default_lang, template="digest",
                    templates_dir=section.templates_dir)
    return Response(output if isinstance(output, bytes) else output.encode(), media_type=MEDIA[format])
