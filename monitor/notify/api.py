"""Outbox administration: see what is stuck, send it again. Admin only.

    GET  /api/v1/outbox?state=dead&receiver=ops   newest first
    POST /api/v1/outbox/{id}/redeliver            dead → pending, attempts reset
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from monitor.api.deps import Admin, RuntimeDep
from monitor.config.notify import RECEIVER_NAME
from monitor.notify import service
from monitor.notify.models import Delivery, MessagePublic

router = APIRouter(prefix="/api/v1/outbox", tags=["notifications"])


@router.get("", response_model=list[MessagePublic])
def list_messages(
    runtime: RuntimeDep,
    _: Admin,
    state: Delivery | None = None,
    receiver: Annotated[str | None, Query(pattern=RECEIVER_NAME)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[MessagePublic]:
    with runtime.unit() as s:
        rows = service.list_messages(s, state=state, receiver=receiver, limit=limit)
        return [MessagePublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/{message_id}/redeliver", response_model=MessagePublic)
def redeliver(runtime: RuntimeDep, _: Admin, message_id: int) -> MessagePublic:
    with runtime.unit() as s:
        message = service.redeliver(s, service.get_or_raise(s, message_id), now=runtime.clock.now())
        return MessagePublic.model_validate(message, from_attributes=True)
