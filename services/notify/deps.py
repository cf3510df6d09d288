from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request

from services.notify.auth import Caller
from services.notify.container import Container


async def get_container(request: Request) -> Container:
    return request.app.state.container


async def get_caller(container: Annotated[Container, Depends(get_container)],
                     authorization: Annotated[str | None, Header()] = None) -> Caller:
    return await container.keys.caller(authorization)


Box = Annotated[Container, Depends(get_container)]
CurrentCaller = Annotated[Caller, Depends(get_caller)]


async def get_stream_caller(container: Box, authorization: Annotated[str | None, Header()] = None,
                            ticket: Annotated[str | None, Query(max_length=100, description=(
                                "A stream ticket (POST /v1/stream/tickets), for a browser's EventSource, which "
                                "cannot send the Authorization header"))] = None) -> Caller:
    if ticket and not authorization:
        return await container.tickets.caller(ticket)
    return await container.keys.caller(authorization)


StreamCaller = Annotated[Caller, Depends(get_stream_caller)]


async def get_own_endpoint(endpoint_id: str, box: Box, caller: CurrentCaller) -> dict:
    """The caller's webhook endpoint named in the path; 404 for another organisation's or none."""
    endpoint = await box.endpoints.get(endpoint_id, caller.org_id)
    if endpoint is None:
        raise HTTPException(404, f"no webhook endpoint {endpoint_id}")
    return endpoint


OwnEndpoint = Annotated[dict, Depends(get_own_endpoint)]
