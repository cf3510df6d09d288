"""In a real browser (headless Chromium): a web page follows its organisation's stream with `EventSource`, which
cannot send the API key, through a stream ticket; a page on an origin notify does not allow gets nothing."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx
import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright

from deploy.stack import Stack, free_port
from services.notify.notifications import notification_id
from tests.integration.notify.support import match_event, publish, two_orgs
from tests.support.api import bearer

pytestmark = pytest.mark.integration

PAGE = """<!doctype html><meta charset="utf-8"><title>Duijie</title><ul id="events"></ul><script>
const stream = new EventSource("{url}");
stream.onopen = () => {{ window.streamOpen = true; }};
stream.onerror = () => {{ if (stream.readyState === EventSource.CLOSED) window.streamRefused = true; }};
stream.addEventListener("match.proposed", (message) => {{
  const item = document.createElement("li");
  item.textContent = JSON.parse(message.data).id;
  document.getElementById("events").appendChild(item);
}});
</script>"""


@asynccontextmanager
async def web_page(origin: str, html: str) -> AsyncIterator[str]:
    """Serves `html` at the origin's root."""
    async def index(_: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", index)
    runner = web.AppRunner(app)
    await runner.setup()
    address = urlsplit(origin)
    await web.TCPSite(runner, address.hostname, address.port).start()
    try:
        yield f"{origin}/"
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        await chromium.close()


async def test_a_web_page_follows_its_organisations_stream_with_a_ticket_from_an_allowed_origin_only(
        stack: Stack, http: httpx.AsyncClient, browser: Browser, web_origin: str) -> None:
    firm, university = await two_orgs(http, stack, "浏览器")
    issued = await http.post(f"{stack.url('notify')}/v1/stream/tickets", headers=bearer(firm["api_key"]))
    html = PAGE.format(url=stack.url("notify") + issued.json()["stream_url"])

    async with web_page(web_origin, html) as url:
        page = await browser.new_page()
        await page.goto(url)
        await page.wait_for_function("window.streamOpen === true", timeout=15_000)
        event = match_event(firm["id"], university["id"])
        await publish(stack, event)
        shown = await page.wait_for_selector("#events li", timeout=20_000)
        assert await shown.text_content() == notification_id(event.id, firm["id"])

    async with web_page(f"http://127.0.0.1:{free_port()}", html) as elsewhere:
        page = await browser.new_page()
        await page.goto(elsewhere)
        await page.wait_for_function("window.streamRefused === true", timeout=15_000)
        await asyncio.sleep(0.5)
        assert await page.locator("#events li").count() == 0
