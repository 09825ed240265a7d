"""Exports (RFC 7946 GeoJSON checked in detail, CSV), the access log, and the context weighting."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.types import utcnow
from app.register.weighting import WEIGHTS, score_factors
from tests.factories import make_area, make_context, make_published, make_staff
from tests.support import sign_in


def _position(value: Any) -> None:
    # RFC 7946 3.1.1: a position is [longitude, latitude] (optionally altitude), numbers, WGS 84 ranges.
    assert isinstance(value, list) and len(value) in (2, 3), value
    assert all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in value)
    assert -180 <= value[0] <= 180 and -90 <= value[1] <= 90


def _ring_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1, *_), (x2, y2, *_) in itertools.pairwise(ring)) / 2


def check_rfc7946(document: Any) -> None:
    """Structural validation of a FeatureCollection of Polygons (or null geometries) per RFC 7946."""
    assert isinstance(document, dict) and document["type"] == "FeatureCollection"
    assert "crs" not in document  # 4: no CRS member; coordinates are WGS 84
    assert isinstance(document["features"], list)
    for feature in document["features"]:
        assert feature["type"] == "Feature"  # 3.2
        assert "geometry" in feature and "properties" in feature
        assert feature["properties"] is None or isinstance(feature["properties"], dict)
        if "id" in feature:
            assert isinstance(feature["id"], str | int | float) and not isinstance(feature["id"], bool)
        geometry = feature["geometry"]
        if geometry is None:
            continue
        assert geometry["type"] == "Polygon" and isinstance(geometry["coordinates"], list)  # 3.1.6
        for index, ring in enumerate(geometry["coordinates"]):
            assert len(ring) >= 4 and ring[0] == ring[-1]  # a closed linear ring
            for position in ring:
                _position(position)
            # 3.1.6: exterior rings counter-clockwise, holes clockwise (the right-hand rule).
            assert (_ring_area(ring) > 0) == (index == 0)
            assert len({tuple(p) for p in ring[:-1]}) == len(ring) - 1
        if "bbox" in feature:
            assert len(feature["bbox"]) == 4


def test_geojson_export_is_valid_rfc7946_with_redacted_counts_only(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    make_context(session, area, "School group chats", kind="online", h3_cell=None)
    make_published(session, area, park, kind="unsafe", description="Text 07700 900123 if you see them.")
    sign_in(client, make_staff(session, area, "statutory").email)
    response = client.get("/staff/register/export.geojson")
    assert response.status_code == 200 and response.headers["content-type"] == "application/geo+json"
    document = json.loads(response.text)
    check_rfc7946(document)
    by_name = {f["properties"]["name"]: f for f in document["features"]}
    assert by_name["Victoria Park"]["properties"]["unsafe"] == 1 and by_name["School group chats"]["geometry"] is None
    assert "07700" not in response.text


def test_the_rfc7946_check_catches_a_clockwise_or_open_ring() -> None:
    good = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [good]}}
    check_rfc7946({"type": "FeatureCollection", "features": [feature]})
    for broken in (good[::-1], good[:-1], [[200.0, 0.0], *good[1:-1], [200.0, 0.0]]):
        bad = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [broken]}}
        try:
            check_rfc7946({"type": "FeatureCollection", "features": [bad]})
        except AssertionError:
            continue
        raise AssertionError(f"accepted an invalid ring {broken}")


def test_csv_export_has_public_text_only_and_neutralises_formulas(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "=HYPERLINK(\"http://x\")")
    report = make_published(session, area, park, description="He is called Dave Smith.")
    report.public_description = "He is called [name]."
    session.add(report)
    session.commit()
    sign_in(client, make_staff(session, area, "moderator").email)
    response = client.get("/staff/register/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["public_description"] == "He is called [name]." and "Dave Smith" not in response.text
    assert rows[0]["context_name"].startswith("'=")


def test_access_log_lists_views_and_exports_for_admins_only(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_context(session, area, "Victoria Park")
    reader = make_staff(session, area, "statutory")
    sign_in(client, reader.email)
    client.get(f"/staff/register/contexts/{park.id}")
    client.get("/staff/register/export.geojson")
    assert client.get("/staff/register/access-log").status_code == 403
    client.cookies.clear()
    admin = make_staff(session, area, "admin")
    sign_in(client, admin.email)
    page = client.get("/staff/register/access-log")
    assert page.status_code == 200
    assert reader.email in page.text and "context viewed" in page.text and "exported (geojson)" in page.text
    assert f'href="/staff/register/contexts/{park.id}"' in page.text
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "register.access_log_viewed")).one().actor_id == admin.id


def test_score_lines_are_transparent_and_strengths_never_hide_risk() -> None:
    factors = {f.code: f for f in score_factors(recent_unsafe=4, previous_unsafe=1, urgent=1, recent_safe=20, flagged=True, votes=2)}
    assert factors["recent_unsafe"].points == 4 * WEIGHTS["recent_unsafe"]
    assert factors["rising"].count == 3 and factors["rising"].points == 3 * WEIGHTS["rising"]
    assert factors["urgent"].points == WEIGHTS["urgent"]
    assert factors["safe_assets"].points == -2.0  # capped at half the unsafe points, not 20 x -0.5
    assert factors["panel_flag"].points == WEIGHTS["panel_flag"] and factors["workshop_votes"].points == 2.0
    assert score_factors(recent_unsafe=0, previous_unsafe=3, urgent=0, recent_safe=0, flagged=False, votes=0) == []


def test_weighting_page_ranks_and_explains_and_takes_workshop_votes(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    area = make_area(session)
    quiet = make_context(session, area, "Library")
    busy = make_context(session, area, "Underpass")
    for _ in range(3):
        make_published(session, area, busy, kind="unsafe", categories=["poor_lighting"])
    make_published(session, area, busy, kind="unsafe", categories=["poor_lighting"], created_at=utcnow() - timedelta(days=150))
    make_published(session, area, quiet, kind="safe", categories=["somewhere_to_go"])
    sign_in(client, make_staff(session, area, "statutory").email)
    page = client.get("/staff/register/weighting").text
    assert page.index("Underpass") < page.index("Library")
    assert "Unsafe entries in the last 3 months" in page and "Change first:" in page and "Poor lighting (3)" in page
    # The room's dot-votes (tested end to end in test_workshops.py) lift what it wants changed first.
    monkeypatch.setattr("app.register.routes.workshop_votes_by_context", lambda _session, _area_id: {quiet.id: 10})
    voted = client.get("/staff/register/weighting").text
    assert voted.index("Library") < voted.index("Underpass") and "Workshop votes" in voted
