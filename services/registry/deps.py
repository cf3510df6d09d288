"""Annotated dependency aliases used by every endpoint: Db, Box (the container), CurrentCaller."""

from typing import Annotated

from fastapi import Depends, Header, Request

from services.registry.auth import Caller, authenticate
from services.registry.container import Container
from services.registry.db import Database


async def get_container(request: Request) -> Container:
    return request.app.state.container


async def get_db(container: Annotated[Container, Depends(get_container)]) -> Database:
    return container.db


async def get_caller(
    container: Annotated[Container, Depends(get_container)],
    authorization: Annotated[str | None, Header(description="`Bearer <API key>`")] = None,
) -> Caller:
    s = container.settings
    return await authenticate(container.db, container.keys, authorization, s.admin_key, s.internal_key)


Box = Annotated[Container, Depends(get_container)]
Db = Annotated[Database, Depends(get_db)]
CurrentCaller = Annotated[Caller, Depends(get_caller)]
