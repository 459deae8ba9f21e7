"""Subscriber routes: public sign-up with double opt-in, unsubscribe; admin webhooks.

Public, no token::

    POST /status/subscribe                  email, components[], lang (JSON or an HTML form)
    GET  /status/subscribe/confirm?token=   the link in the confirmation mail: a page with
                                            one button, changing nothing
    POST /status/subscribe/confirm          the button (form field or query ``token``)
    GET  /status/unsubscribe?token=         the link in every mail: a page with one button
    POST /status/unsubscribe?token=         the button, and RFC 8058 one-click
                                            (``List-Unsubscribe-Post``) from mail clients

A GET never changes anything: mail scanners and link previewers open every link in a
message, and must not confirm or cancel a subscription by doing so. Tokens never reach
the access log (``monitor.api.logs``).

Admin, under ``/api/v1/subscribers``: list, add a webhook subscriber (its
signing secret is shown once), remove one.
"""

from __future__ import annotations

import html
import json
import re
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
           "unsubscribed": "Unsubscribed. We will not send you anything else.",
           "confirm_ask": "Press the button to confirm that you want our notices by e-mail.",
           "confirm_button": "Confirm subscription",
           "unsubscribe_ask": "Press the button to stop all e-mail from us.",
           "unsubscribe_button": "Unsubscribe"},
    "pt-BR": {"pending": "Quase lá: enviamos um e-mail. Abra o link para confirmar.",
              "confirmed": "Inscrição confirmada. Você receberá nossos avisos por e-mail.",
              "unsubscribed": "Inscrição cancelada. Não enviaremos mais nada.",
              "confirm_ask": "Aperte o botão para confirmar que quer receber nossos avisos "
                             "por e-mail.",
              "confirm_button": "Confirmar inscrição",
              "unsubscribe_ask": "Aperte o botão para não receber mais nenhum e-mail nosso.",
              "unsubscribe_button": "Cancelar inscrição"},
}
_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer"}


def _page(lang: str, title: str, what: str, status: int = 200, form: str = "") -> HTMLResponse:
    body = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(PAGES[lang][what])}</p>{form}"
            f'<p><a href="/status?lang={lang}">{html.escape(title)}</a></p></main></body></html>')
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


def _button(lang: str, action: str, token: str, label: str) -> str:
    """A one-button form that POSTs the token: what a person presses and a scanner does not."""
    return (f'<form method="post" action="{action}">'
            f'<input type="hidden" name="token" value="{html.escape(token)}">'
            f'<button type="submit">{html.escape(PAGES[lang][label])}</button></form>')


TOKEN_PATTERN = r"^[A-Za-z0-9_-]{20,200}$"


async def _posted_token(request: Request, query: str | None) -> str:
    """The token of a POST: the form field ``token``, else the query's (RFC 8058 one-click
    POSTs ``List-Unsubscribe=One-Click`` to the link as it is, token in the query)."""
    raw = await request.body()
    fields = parse_qs(raw.decode("utf-8", errors="replace")) if raw else {}
    token = (fields.get("token") or [query or ""])[0]
    if not re.match(TOKEN_PATTERN, token):
        where = ("body", "token") if fields.get("token") else ("query", "token")
        message = "expected the token from the link: 20 to 200 letters, digits, '-' or '_'"
        raise RequestValidationError([{"type": "value_error", "loc": where, "msg": message,
                                       "input": token[:40]}])
    return token


def _token_form() -> dict[str, Any]:
    return {"requestBody": {"required": False, "content": {
        "application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {
                "token": {"type": "string", "pattern": TOKEN_PATTERN},
                "List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}}}}}}}


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
               404: {"description": "sign-up is off: [comms.subscribers] receiver is not set"}},
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
def confirm_page(runtime: RuntimeDep, token: Token) -> HTMLResponse:
    """The confirmation link: a page with one button that POSTs; opening it changes nothing."""
    with runtime.unit() as s:
        lang = service.confirmable(s, token, now=runtime.clock.now()).lang
    return _page(lang, runtime.settings.comms.status_title, "confirm_ask",
                 form=_button(lang, "/status/subscribe/confirm", token, "confirm_button"))


@public_router.post("/status/subscribe/confirm", response_class=HTMLResponse,
                    openapi_extra=_token_form())
async def confirm(runtime: RuntimeDep, request: Request,
                  token: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    """Confirm the subscription (the button on the confirmation page); works once."""
    raw = await _posted_token(request, token)
    with runtime.unit() as s:
        subscriber = service.confirm(s, raw, now=runtime.clock.now())
        lang = subscriber.lang
    return _page(lang, runtime.settings.comms.status_title, "confirmed")


@public_router.get("/status/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(runtime: RuntimeDep, token: Token) -> HTMLResponse:
    """The link in every mail: a page with one button that POSTs; opening it changes nothing."""
    with runtime.unit() as s:
        lang = service.unsubscribable(s, token).lang
    return _page(lang, runtime.settings.comms.status_title, "unsubscribe_ask",
                 form=_button(lang, "/status/unsubscribe", token, "unsubscribe_button"))


@public_router.post("/status/unsubscribe", response_class=HTMLResponse,
                    openapi_extra=_token_form())
async def unsubscribe(runtime: RuntimeDep, request: Request,
                      token: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    """Stop all mail: the button on the unsubscribe page, or RFC 8058 one-click (mail clients
    POST ``List-Unsubscribe=One-Click`` to the link). Pressing it again changes nothing."""
    raw = await _posted_token(request, token)
    with runtime.unit() as s:
        subscriber = service.unsubscribe(s, raw, now=runtime.clock.now())
        lang = subscriber.lang
    return _page(lang, runtime.settings.comms.status_title, "unsubscribed")


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
        row, secret = service.add_webhook(s, body, now=runtime.clock.now(),
                                          settings=runtime.settings, secrets=runtime.secrets)
        return SubscriberPublic.model_validate(row.model_dump() | {"secret": secret})


@router.delete("/{subscriber_id:int}", response_model=SubscriberPublic)  # not /webhooks
def remove(runtime: RuntimeDep, _: Admin, subscriber_id: int) -> SubscriberPublic:
    with runtime.unit() as s:
        row = service.remove(s, service.get_or_raise(s, subscriber_id), now=runtime.clock.now())
        return SubscriberPublic.model_validate(row.model_dump() | {"secret": None})
