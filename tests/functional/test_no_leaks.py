"""Raw words and flagged personal details never reach the register, exports, public pages, the API or logs."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.register.models import Context
from app.reports.models import Report
from tests.factories import make_area, make_staff
from tests.support import csrf_from, receipt_from, report_form, sign_in

RAW_ONLY = "zebra-crossing-secret-phrase"
PHONE = "07700 900456"
EMAIL = "kai.morgan@example.com"


def test_raw_text_and_flagged_details_stay_with_moderators(client: TestClient, session: Session, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    area = make_area(session)
    description = f"The underpass is dark at night. Text me on {PHONE} or email {EMAIL}."
    sent = client.post("/report", data=report_form(client, description=description, what_would_help=f"More lights. {RAW_ONLY}"))
    code = receipt_from(sent.text)
    report = session.exec(select(Report)).one()
    assert {s["kind"] for s in report.suggested_redactions} >= {"phone", "email"}

    sign_in(client, make_staff(session, area, "moderator", "statutory").email)
    page = client.get(f"/staff/moderation/{report.id}")
    assert PHONE in page.text  # the moderator sees the raw words, flagged
    public = re.search(r'<textarea name="public_description"[^>]*>([^<]*)</textarea>', page.text)
    assert public and PHONE not in public.group(1) and EMAIL not in public.group(1)
    client.post(
        f"/staff/moderation/{report.id}/publish",
        data={
            "csrf_token": csrf_from(page.text), "version": str(report.version), "public_description": public.group(1),
            "public_what_would_help": "More lights.", "accept_description": ["0", "1"], "context_id": "",
            "new_context_name": "Underpass by the ring road", "show_on_map": "yes",
        },
    )
    context = session.exec(select(Context)).one()
    token = csrf_from(client.get("/staff/register").text)
    pages = {
        "register": client.get("/staff/register").text,
        "context": client.get(f"/staff/register/contexts/{context.id}").text,
        "csv": client.get("/staff/register/export.csv").text,
        "geojson": client.get("/staff/register/export.geojson").text,
        "map": client.get("/map").text,
        "you-said-we-did": client.get("/you-said-we-did").text,
        "track": client.post("/track", data={"code": code, "csrf_token": token}).text,
        "api-track": client.post("/api/v1/track", json={"receipt_code": code}).text,
        "openapi": client.get("/openapi.json").text,
    }
    assert "The underpass is dark at night." in pages["context"]
    for name, body in pages.items():
        for secret in (PHONE, EMAIL, RAW_ONLY):
            assert secret not in body, f"{secret!r} leaked into {name}"
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in (PHONE, EMAIL, RAW_ONLY, "underpass is dark"):
        assert secret not in logged, f"{secret!r} leaked into the logs"
