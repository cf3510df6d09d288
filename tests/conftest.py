"""Shared fixtures. `stack` starts the whole embedded platform once per test session."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from deploy.stack import Stack, free_port, ports_from_env

REPO = Path(__file__).resolve().parents[1]
CSL = REPO.parent / "shared" / "data" / "csl"


@pytest.fixture(scope="session")
def web_origin() -> str:
    """The origin of the browser test's web page, which the session stack's notify allows (CORS)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory, web_origin: str) -> AsyncIterator[Stack]:
    var = tmp_path_factory.mktemp("var")
    for name in ("REGISTRY", "MATCHING", "NOTIFY", "BROKER", "DATABASE"):
        os.environ.pop(f"DUIJIE_{name}_PORT", None)
    s = Stack(var=var, ports=ports_from_env(use_free_ports=True),
              extra_env={"DUIJIE_RETRY_MULTIPLIER": "0.0001", "DUIJIE_SSE_HEARTBEAT_SECONDS": "1",
                         "DUIJIE_CORS_ORIGINS": web_origin})
    await s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client


@pytest.fixture
def port() -> int:
    return free_port()
