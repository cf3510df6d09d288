"""Web pages on the origins set in DUIJIE_CORS_ORIGINS may call notify from a browser; other pages may not."""

import httpx
import pytest

from services.notify.app import create_app
from services.notify.settings import Settings

DASHBOARD = "https://dashboard.example.com"
PREFLIGHT = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization, last-event-id"}


async def preflight(settings: Settings, origin: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(settings))  # the middleware answers before any route runs
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
        return await client.options("/v1/stream", headers={"Origin": origin, **PREFLIGHT})


@pytest.mark.parametrize(("origins", "origin", "allowed"), [
    (f"{DASHBOARD}, https://ops.example.com", DASHBOARD, True),
    (DASHBOARD, "https://elsewhere.example.com", False),
    ("", DASHBOARD, False),
])
async def test_a_browser_page_may_call_notify_only_from_an_allowed_origin(origins: str, origin: str,
                                                                         allowed: bool) -> None:
    response = await preflight(Settings(cors_origins=origins), origin)
    assert (response.headers.get("access-control-allow-origin") == origin) is allowed
    if allowed:
        assert "last-event-id" in response.headers["access-control-allow-headers"].lower()
