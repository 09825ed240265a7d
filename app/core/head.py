"""HEAD for every GET page: the same status and headers as GET, without the body.

FastAPI routes answer only the methods they name, so HEAD on a page was 405. Link checkers,
monitoring and some phones' pre-fetchers send HEAD; they get what GET would give them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _StreamCut(Exception):
    """Ends a HEAD request to a live stream once its headers are out."""


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        streaming = False

        async def headers_only(message: Message) -> None:
            nonlocal streaming
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                # A live stream never ends by itself: answer its headers and stop reading it.
                streaming = content_type.startswith(b"text/event-stream")
            if message["type"] == "http.response.body":
                if streaming:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    raise _StreamCut
                if message.get("more_body", False):
                    return  # swallow streamed chunks; the last (empty) one ends the response
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server holds this scope too, and must still see HEAD (it then expects no body).
        # `safetymap.head` tells a route that only counts openings (/r/CODE) not to count this one.
        as_get = dict(scope, method="GET")
        as_get["safetymap.head"] = True
        try:
            await self.app(as_get, receive, headers_only)
        except _StreamCut:
            pass
        finally:
            if "route" in as_get:
                scope["route"] = as_get["route"]  # so the access log names the route template
