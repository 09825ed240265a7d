"""HEAD answers like GET without a body, and never hangs on a live stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.core.head import HeadAsGet


async def page(_: object) -> PlainTextResponse:
    return PlainTextResponse("hello", headers={"x-kept": "yes"})


async def forever(_: object) -> StreamingResponse:
    async def beats() -> AsyncIterator[str]:
        while True:
            yield ": heartbeat\n\n"
            await asyncio.sleep(0.01)

    return StreamingResponse(beats(), media_type="text/event-stream")


def _client() -> TestClient:
    app = Starlette(routes=[Route("/page", page, methods=["GET"]), Route("/events", forever, methods=["GET"])])
    return TestClient(HeadAsGet(app))


def test_head_on_a_get_page_gives_its_headers_and_no_body() -> None:
    response = _client().head("/page")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["x-kept"] == "yes"
    assert response.headers["content-length"] == "5"


def test_head_on_a_live_stream_ends_after_the_headers() -> None:
    response = _client().head("/events")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content == b""


def test_head_through_a_real_server_raises_nothing() -> None:
    """uvicorn checks the body against Content-Length unless the request is HEAD: the middleware must
    not change the method on the server's own scope (the test client does not check this)."""
    import threading
    import time

    import httpx
    import uvicorn

    from tests.support import free_port

    faults: list[BaseException] = []
    inner = HeadAsGet(Starlette(routes=[Route("/page", page, methods=["GET"])]))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        try:
            await inner(scope, receive, send)
        except BaseException as exc:
            faults.append(exc)
            raise

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        response = httpx.head(f"http://127.0.0.1:{port}/page")
    finally:
        server.should_exit = True
        thread.join(5)
    assert response.status_code == 200 and response.headers["content-length"] == "5"
    assert faults == []
