"""Subscriber routes: public sign-up with double opt-in, one-click unsubscribe; admin webhooks.

Public, no token::

    POST /status/subscribe                  email, components[], lang (JSON or an HTML form)
    GET  /status/subscribe/confirm?token=   the link in the confirmation mail (works once)
    GET  /status/unsubscribe?token=         the link in every mail (one click)
    POST /status/unsubscribe?token=         the same, for List-Unsubscribe-Post (RFC 8058)

Admin, under ``/api/v1/subscribers``: list, add a webhook subscriber (its
signing secret is shown once), remove one.
"""

from __future__ import annotations

import html
import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from monitor.api.deps import Admin, RuntimeDep
from monitor.comms.subscribers import service
from monitor.comms.subscribers.models import (
    SubscribeRequest,
    SubscriberPublic,
    WebhookSubscriberCreate,
)
from monitor.errors import BadRequest

public_router = APIRouter(tags=["status page"])
router = APIRouter(prefix="/api/v1/subscribers", tags=["subscribers"])

Token = Annotated[str, Query(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]

PAGES = {
    "en": {"pending": "Almost done: we sent you an e-mail. Open the link in it to confirm.",
           "confirmed": "Subscribed. You will get our notices by e-mail.",
           "unsubscribed": "Unsubscribed. We will not send you anything else."},
    "pt-BR": {"pending": "Quase lá: enviamos um e-mail. Abra o link para confirmar.",
              "confirmed": "Inscrição confirmada. Você receberá nossos avisos por e-mail.",
              "unsubscribed": "Inscrição cancelada. Não enviaremos mais nada."},
}


def _page(lang: str, title: str, what: str, status: int = 200) -> HTMLResponse:
    body = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(PAGES[lang][what])}</p>"
            f'<p><a href="/status?lang={lang}">{html.escape(title)}</a></p></main></body></html>')
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


async def _body(request: Request) -> tuple[dict[str, Any], bool]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields = parse_qs(raw.decode("utf-8", errors="replace"))
        data: dict[str, Any] = {"email": (fields.get("email") or [""])[0],
                                "components": [c for v in fields.get("components", [])
                                               for c in v.split(",") if c]}
        if fields.get("lang"):
            data["lang"] = fields["lang"][0]
        return data, True
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON ({exc}); send JSON or an HTML form") from None
    except RecursionError:
        raise BadRequest("the body nests too deeply to be a sign-up; send {\"email\": …}") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object such as {\"email\": \"ana@example.org\"}")
    return data, False


def _subscribe_body() -> dict[str, Any]:
    """The body is read by hand (JSON or a form), so FastAPI cannot see it: describe it here."""
    schema = SubscribeRequest.model_json_schema()
    form = {**schema, "properties": {**schema["properties"], "components": {
        "type": "array", "items": {"type": "string"}, "title": "Components",
        "description": "repeat the field, or give names separated by commas"}}}
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema,
                             "example": {"email": "ana@example.org", "components": ["Links"],
                                         "lang": "pt-BR"}},
        "application/x-www-form-urlencoded": {
            "schema": form, "encoding": {"components": {"style": "form", "explode": True}}},
    }}}


@public_router.post(
    "/status/subscribe", status_code=202, openapi_extra=_subscribe_body(),
    responses={202: {"description": "pending: a confirmation link was mailed (JSON for a JSON "
                                    "body, an HTML page for a form)",
                     "content": {"text/html": {}}},
               422: {"description": "a bad field, with its JSON path"},
               503: {"description": "sign-up is off: [comms.subscribers] receiver is not set"}},
)
async def subscribe(runtime: RuntimeDep, request: Request) -> Response:
    """E-mail sign-up with double opt-in, from JSON or the HTML form on ``/status``."""
    data, form = await _body(request)
    try:
        body = SubscribeRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None
    with runtime.unit() as s:
        subscriber = service.subscribe(s, body, now=runtime.clock.now(), settings=runtime.settings)
        lang = subscriber.lang
    if form:
        return _page(lang, runtime.settings.comms.status_title, "pending", 202)
    # The same answer whether or not the address was known: nothing to learn from it.
    return JSONResponse({"status": "pending", "detail": PAGES[lang]["pending"]}, status_code=202)


@public_router.get("/status/subscribe/confirm", response_class=HTMLResponse)
def confirm(runtime: RuntimeDep, token: Token) -> HTMLResponse:
    with runtime.unit() as s:
        subscriber = service.confirm(s, token, now=runtime.clock.now())
    return _page(subscriber.lang, runtime.settings.comms.status_title, "confirmed")


@public_router.get("/status/unsubscribe", response_class=HTMLResponse)
def unsubscribe(runtime: RuntimeDep, token: Token) -> HTMLResponse:
    with runtime.unit() as s:
        subscriber = service.unsubscribe(s, token, now=runtime.clock.now())
    return _page(subscriber.lang, runtime.settings.comms.status_title, "unsubscribed")


@public_router.post("/status/unsubscribe", response_class=HTMLResponse)
def unsubscribe_one_click(runtime: RuntimeDep, token: Token) -> HTMLResponse:
    """RFC 8058: mail clients POST ``List-Unsubscribe=One-Click`` to the link."""
    return unsubscribe(runtime, token)


# ---- admin ---------------------------------------------------------------------------------


@router.get("", response_model=list[SubscriberPublic])
def list_subscribers(
    runtime: RuntimeDep, _: Admin,
    state: Annotated[str | None, Query(pattern=r"^(pending|confirmed|unsubscribed)$")] = None,
    kind: Annotated[str | None, Query(pattern=r"^(email|webhook)$")] = None,
) -> list[SubscriberPublic]:
    with runtime.unit() as s:
        return [SubscriberPublic.model_validate(r.model_dump() | {"secret": None})
                for r in service.list_subscribers(s, state=state, kind=kind)]


@router.post("/webhooks", response_model=SubscriberPublic, status_code=201)
def add_webhook(runtime: RuntimeDep, _: Admin, body: WebhookSubscriberCreate) -> SubscriberPublic:
    """Add a webhook subscriber; the response holds its signing secret, shown only this once."""
    with runtime.unit() as s:
        row = service.add_webhook(s, body, now=runtime.clock.now(), settings=runtime.settings)
        return SubscriberPublic.model_validate(row.model_dump())


@router.delete("/{subscriber_id}", response_model=SubscriberPublic)
def remove(runtime: RuntimeDep, _: Admin, subscriber_id: int) -> SubscriberPublic:
    with runtime.unit() as s:
        row = service.remove(s, service.get_or_raise(s, subscriber_id), now=runtime.clock.now())
        return SubscriberPublic.model_validate(row.model_dump() | {"secret": None})
