"""Notice routes (responders) and the public status page, feed, JSON and banner.

Authenticated, under ``/api/v1``::

    POST /incidents/{key}/notices        draft a notice (lang + content) → findings
    GET  /incidents/{key}/notices        every notice with every version
    GET  /notices/{id}                   one notice, its draft findings and versions
    PUT  /notices/{id}/draft             replace the draft (kind + content)
    POST /notices/{id}/publish           publish the draft (admin: override_reason)
    POST /notices/{id}/versions          update / correct / retract in one action
    POST /notices/lint                   lint content without storing anything

Public, no token, read-only: ``/status``, ``/status/incidents/{key}``,
``/status/feed.atom``, ``/status.json``, ``/api/v1/banner`` — each in pt-BR or
en (``?lang=`` first, then Accept-Language, then ``[comms] default_lang``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from monitor.api.deps import Provided, Responder, RuntimeDep, Viewer
from monitor.auth.models import Role
from monitor.comms import drafts, service, status
from monitor.comms.linter import lint_content
from monitor.comms.models import (
    DraftRequest,
    FindingPublic,
    Kind,
    Notice,
    NoticePublic,
    PublishRequest,
    ReviseRequest,
    VersionPublic,
    VersionRequest,
)
from monitor.comms.public_cache import PublicPages, Rendered
from monitor.comms.render import page
from monitor.config import Settings
from monitor.errors import Conflict, NotFound
from monitor.i18n import choose_lang
from monitor.incidents import service as incidents
from monitor.incidents.models import Incident

router = APIRouter(tags=["notices"])
public_router = APIRouter(tags=["status page"])


def _public(session: Session, notice: Notice, settings: Settings) -> NoticePublic:
    row = session.get(Incident, notice.incident_id)
    assert row is not None
    return NoticePublic(
        id=notice.id, incident=row.key, lang=notice.lang, latest_version=notice.latest_version,
        draft=notice.draft,
        findings=[FindingPublic(**f.as_dict()) for f in service.check(notice, settings)],
        versions=[VersionPublic.model_validate(v, from_attributes=True)
                  for v in service.versions(session, notice)],
    )


@router.post("/api/v1/incidents/{key}/notices", response_model=NoticePublic, status_code=201)
def draft(runtime: RuntimeDep, who: Responder, key: str, body: DraftRequest) -> NoticePublic:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        notice = service.draft(s, incident, lang=body.lang, content=body.content, actor=who.name,
                               clock=runtime.clock, affected_share=body.affected_share)
        return _public(s, notice, runtime.settings)


@router.get("/api/v1/incidents/{key}/notices", response_model=list[NoticePublic])
def list_notices(runtime: RuntimeDep, _: Viewer, key: str) -> list[NoticePublic]:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        return [_public(s, n, runtime.settings) for n in service.notices_of(s, incident)]


@router.get("/api/v1/notices/{notice_id:int}", response_model=NoticePublic)  # not /lint
def show(runtime: RuntimeDep, _: Viewer, notice_id: int) -> NoticePublic:
    with runtime.unit() as s:
        return _public(s, service.get_or_raise(s, notice_id), runtime.settings)


@router.put("/api/v1/notices/{notice_id}/draft", response_model=NoticePublic)
def revise(runtime: RuntimeDep, _: Responder, notice_id: int, body: ReviseRequest) -> NoticePublic:
    with runtime.unit() as s:
        notice = service.get_or_raise(s, notice_id)
        service.revise(s, notice, kind=body.kind, content=body.content, clock=runtime.clock,
                       affected_share=body.affected_share)
        return _public(s, notice, runtime.settings)


@router.post("/api/v1/notices/{notice_id}/publish", response_model=VersionPublic, status_code=201)
def publish(
    runtime: RuntimeDep, who: Responder, notice_id: int, body: PublishRequest | None = None
) -> VersionPublic:
    with runtime.unit() as s:
        notice = service.get_or_raise(s, notice_id)
        version = service.publish(
            s, notice, actor=who.name, is_admin=who.role.covers(Role.ADMIN), clock=runtime.clock,
            settings=runtime.settings, override_reason=body.override_reason if body else None,
            affected_share=body.affected_share if body else None,
        )
        return VersionPublic.model_validate(version, from_attributes=True)


@router.post("/api/v1/notices/{notice_id}/versions", response_model=VersionPublic, status_code=201)
def publish_version(
    runtime: RuntimeDep, who: Responder, notice_id: int, body: VersionRequest
) -> VersionPublic:
    with runtime.unit() as s:
        notice = service.get_or_raise(s, notice_id)
        version = service.publish_version(
            s, notice, kind=body.kind, content=body.content, actor=who.name,
            is_admin=who.role.covers(Role.ADMIN), clock=runtime.clock, settings=runtime.settings,
            override_reason=body.override_reason, affected_share=body.affected_share,
        )
        return VersionPublic.model_validate(version, from_attributes=True)


@router.post("/api/v1/notices/lint", response_model=list[FindingPublic])
def lint(
    runtime: RuntimeDep, _: Viewer, body: DraftRequest, kind: Kind = Kind.INITIAL
) -> list[FindingPublic]:
    findings = lint_content(body.content, kind, body.lang, runtime.settings.comms.linter)
    return [FindingPublic(**f.as_dict()) for f in findings]


# ---- public ------------------------------------------------------------------------------

LangQuery = Annotated[str | None, Query(alias="lang", pattern=r"^(pt-BR|en)$",
                                        description="pt-BR or en")]
AcceptLanguage = Annotated[str | None, Header(alias="accept-language")]
IfNoneMatch = Annotated[str | None, Header(alias="if-none-match")]
PUBLIC_HEADERS = {"cache-control": "public, max-age=5", "vary": "Accept-Language"}
"""Browsers and proxies may keep a public view 5 s, then revalidate it with its ETag."""

public_pages = Provided[PublicPages]("public_pages")
PagesDep = Annotated[PublicPages, Depends(public_pages)]


def _lang(runtime: RuntimeDep, query: str | None, header: str | None) -> str:
    return choose_lang(query, header, runtime.settings.comms.default_lang)


Split = tuple[list[status.PublicIncident], list[status.PublicIncident]]


def _split(runtime: RuntimeDep, lang: str) -> Split:
    with runtime.unit() as s:
        rows = status.public_incidents(s, lang=lang, now=runtime.clock.now(),
                                       settings=runtime.settings)
    return [i for i in rows if i.public_state == "open"], [i for i in rows if i.public_state != "open"]


async def _answer(pages: PublicPages, view: tuple[str, ...], render: Callable[[], tuple[bytes, str]],
                  lang: str, if_none_match: str | None) -> Response:
    """The stored rendering, answered on the event loop; a stale one is checked and rendered
    again on a worker thread (it reads the database)."""
    rendered = pages.cached(view)
    if rendered is None:
        rendered = await run_in_threadpool(pages.get, view, render)
    return _served(rendered, lang, if_none_match)


def _served(rendered: Rendered, lang: str, if_none_match: str | None) -> Response:
    """The stored rendering, or ``304`` when the client already holds it."""
    headers = {**PUBLIC_HEADERS, "content-language": lang, "etag": rendered.etag}
    if rendered.matches(if_none_match):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type=rendered.media_type, headers=headers)


HTML = "text/html; charset=utf-8"


@public_router.get("/status", response_class=HTMLResponse)
async def status_page(
    runtime: RuntimeDep, pages: PagesDep, lang: LangQuery = None, accept: AcceptLanguage = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    chosen = _lang(runtime, lang, accept)

    def render() -> tuple[bytes, str]:
        active, history = _split(runtime, chosen)
        comms = runtime.settings.comms
        return page("status.html.j2", lang=chosen, title=comms.status_title,
                    components=status.components(runtime.settings, active), active=active,
                    history=history, signup=bool(comms.subscribers.receiver)).encode(), HTML

    return await _answer(pages, ("status", chosen), render, chosen, if_none_match)


@public_router.get("/status/incidents/{key}", response_class=HTMLResponse)
async def incident_page(
    runtime: RuntimeDep, pages: PagesDep, key: str, lang: LangQuery = None,
    accept: AcceptLanguage = None, if_none_match: IfNoneMatch = None,
) -> Response:
    chosen = _lang(runtime, lang, accept)

    def render() -> tuple[bytes, str]:
        with runtime.unit() as s:
            rows = status.public_incidents(s, lang=chosen, now=runtime.clock.now(),
                                           settings=runtime.settings, key=key)
        if not rows:
            raise NotFound(f"no public notice for {key!r} in {chosen}; see /status for what is public")
        return page("incident.html.j2", lang=chosen, incident=rows[0],
                    title=runtime.settings.comms.status_title).encode(), HTML

    return await _answer(pages, ("incident", chosen, key), render, chosen, if_none_match)


@public_router.get("/status/feed.atom", response_class=Response, responses={200: {
    "description": "Atom feed", "content": {"application/atom+xml": {"schema": {"type": "string"}}}}})
async def feed(runtime: RuntimeDep, pages: PagesDep, lang: LangQuery = None,
               accept: AcceptLanguage = None, if_none_match: IfNoneMatch = None) -> Response:
    chosen = _lang(runtime, lang, accept)

    def render() -> tuple[bytes, str]:
        active, history = _split(runtime, chosen)
        entries = sorted(({**v, "incident_title": i.title} for i in active + history
                          for v in i.versions), key=lambda v: v["published_at"], reverse=True)
        updated = entries[0]["published_at"] if entries else runtime.clock.now().isoformat()
        xml = page("feed.atom.j2", lang=chosen, title=runtime.settings.comms.status_title,
                   entries=entries, updated=updated,
                   base_url=runtime.settings.server.public_url.rstrip("/"))
        return xml.encode(), "application/atom+xml"

    return await _answer(pages, ("feed", chosen), render, chosen, if_none_match)


@public_router.get("/status.json")
async def status_json(
    runtime: RuntimeDep, pages: PagesDep, lang: LangQuery = None, accept: AcceptLanguage = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    chosen = _lang(runtime, lang, accept)

    def render() -> tuple[bytes, str]:
        active, history = _split(runtime, chosen)
        body = {
            "lang": chosen,
            "components": status.components(runtime.settings, active),
            "active": [i.as_json() for i in active],
            "history": [i.as_json() for i in history],
        }
        return json.dumps(body, ensure_ascii=False).encode(), "application/json"

    return await _answer(pages, ("status.json", chosen), render, chosen, if_none_match)


@public_router.get("/api/v1/banner")
async def banner(runtime: RuntimeDep, pages: PagesDep, lang: LangQuery = None,
           accept: AcceptLanguage = None, if_none_match: IfNoneMatch = None) -> Response:
    chosen = _lang(runtime, lang, accept)

    def render() -> tuple[bytes, str]:
        active, history = _split(runtime, chosen)
        body = status.banner(active + history, chosen, now=runtime.clock.now(),
                             retraction_window=runtime.settings.comms.retraction_in_banner)
        return json.dumps(body, ensure_ascii=False).encode(), "application/json"

    return await _answer(pages, ("banner", chosen), render, chosen, if_none_match)


# ---- drafts for people to send ---------------------------------------------------------------


def _latest_public(runtime: RuntimeDep, key: str, lang: str) -> status.PublicIncident:
    with runtime.unit() as s:
        incidents.get_by_key_or_raise(s, key)
        rows = status.public_incidents(s, lang=lang, now=runtime.clock.now(),
                                       settings=runtime.settings, key=key)
    if not rows:
        raise Conflict(f"{key} has no published notice in {lang}; publish one first, the "
                       "drafts are written from it")
    return rows[0]


@router.get("/api/v1/incidents/{key}/press-release", response_class=PlainTextResponse,
            responses={200: {"content": {"text/markdown": {}, "application/pdf": {}}}})
def press_release(
    runtime: RuntimeDep, _: Responder, key: str,
    lang: Annotated[str, Query(pattern=r"^(pt-BR|en)$")] = "pt-BR",
    format: Annotated[str, Query(pattern=r"^(md|pdf)$", description="md or pdf")] = "md",
) -> Response:
    """A press-release draft (Markdown or PDF) for human approval, only for ``press``-channel
    impact. Candor never sends it anywhere."""
    incident = _latest_public(runtime, key, lang)
    if "press" not in incident.channels:
        raise Conflict(f"{key}'s notices do not go to the press channel; press-release drafts "
                       "are only for the widest impact ([comms.channels] SEV1 by default, or "
                       "an affected_share at or above [comms.impact] press_share)")
    status_url = _status_url(runtime, key, lang)
    if format == "pdf":
        pdf = drafts.press_release_pdf(incident.current, status_url=status_url)
        name = f"{key}-press-release-draft-{lang}.pdf"
        return Response(pdf, media_type="application/pdf",
                        headers={"content-disposition": f'attachment; filename="{name}"'})
    text = drafts.press_release(incident.current, status_url=status_url)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.get("/api/v1/incidents/{key}/support-reply", response_class=PlainTextResponse)
def support_reply(
    runtime: RuntimeDep, _: Responder, key: str,
    lang: Annotated[str, Query(pattern=r"^(pt-BR|en)$")] = "pt-BR",
) -> PlainTextResponse:
    """A ready reply for the support desk, from the latest public notice."""
    incident = _latest_public(runtime, key, lang)
    return PlainTextResponse(drafts.support_reply(
        incident.current, status_url=_status_url(runtime, key, lang)))


def _status_url(runtime: RuntimeDep, key: str, lang: str) -> str:
    return f"{runtime.settings.server.public_url.rstrip('/')}/status/incidents/{key}?lang={lang}"
