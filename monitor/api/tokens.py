"""Token administration (admin role): the HTTP side of ``monitor.auth``, here beside the
authentication dependencies because ``monitor.api`` builds on ``monitor.auth``, not the reverse."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from monitor.api.deps import Admin, RuntimeDep
from monitor.auth import service
from monitor.auth.models import TokenCreate, TokenCreated, TokenPublic

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


@router.get("", response_model=list[TokenPublic])
def list_tokens(runtime: RuntimeDep, _: Admin) -> list[TokenPublic]:
    with runtime.unit() as s:
        return [TokenPublic.model_validate(t) for t in service.list_tokens(s)]


@router.post("", response_model=TokenCreated, status_code=201)
def create_token(runtime: RuntimeDep, _: Admin, body: TokenCreate) -> TokenCreated:
    with runtime.unit() as s:
        row, token = service.create_token(s, name=body.name, role=body.role, clock=runtime.clock)
        return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=token)


@router.delete("/{token_id}", response_model=TokenPublic)
def revoke_token(
    runtime: RuntimeDep, _: Admin, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> TokenPublic:
    with runtime.unit() as s:
        revoked = TokenPublic.model_validate(service.revoke_token(s, token_id, clock=runtime.clock))
    runtime.principals.clear()  # committed: this process refuses the token from now on
    return revoked
