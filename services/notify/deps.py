from typing import Annotated

from fastapi import Depends, Header, Request

from services.notify.auth import Caller
from services.notify.container import Container


async def get_container(request: Request) -> Container:
    return request.app.state.container


async def get_caller(container: Annotated[Container, Depends(get_container)],
                     authorization: Annotated[str | None, Header()] = None) -> Caller:
    return await container.keys.caller(authorization)


Box = Annotated[Container, Depends(get_container)]
CurrentCaller = Annotated[Caller, Depends(get_caller)]
