"""The two public rate limits, in one place: sending reports, and trying receipt codes.

Every place that counts against them (the report form, the JSON API and its error handler, /track,
its withdraw form and the answer to a moderator's question) calls these, so a bucket, its limit and
its window are written once. Whether an over-limit request is still let through (a possible
disclosure always is) is the caller's decision.
"""

from __future__ import annotations

from fastapi import Request

from app.core.config import Settings
from app.core.ratelimit import app_rate_limiter
from app.core.web import client_address

TRACK_LIMIT = 60  # receipt-code tries an hour from one connection, shared by every /track post
WINDOW_SECONDS = 3600


def report_allowed(request: Request, settings: Settings) -> bool:
    """Count one report send from this connection; False once it is over the area's hourly limit."""
    limiter = app_rate_limiter(request)
    return bool(limiter.hit("report", client_address(request, settings), limit=settings.report_rate_limit, window_seconds=WINDOW_SECONDS))


def track_allowed(request: Request, settings: Settings) -> bool:
    """Count one receipt-code try from this connection; False once it is over TRACK_LIMIT an hour."""
    limiter = app_rate_limiter(request)
    return bool(limiter.hit("track", client_address(request, settings), limit=TRACK_LIMIT, window_seconds=WINDOW_SECONDS))
