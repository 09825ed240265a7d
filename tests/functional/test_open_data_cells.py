"""Open data: GET /api/v1/cells and /api/v1/cells.csv. Counts per cell and month only, the k rule
and secondary suppression applied, documented in the OpenAPI document, one area only."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime
from typing import Any

import h3
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.api.cells import CellCounts, cells_csv
from app.areas.models import Area
from app.reports.models import Report
from tests.factories import make_area

_numbers = itertools.count(1)
# Three cells of the factory area, well apart: Victoria Park, Heron Fields and Kestrel Way.
PARK = h3.latlng_to_cell(52.576, -1.986, 8)
FIELDS = h3.latlng_to_cell(52.5951, -1.9807, 8)
KESTREL = h3.latlng_to_cell(52.5712, -2.0104, 8)
assert len({PARK, FIELDS, KESTREL}) == 3
WORDS = "Older lads by the bins shout at us"


def plant(
    session: Session,
    area: Area,
    cell: str,
    month: str,
    *,
    safe: int = 0,
    unsafe: int = 0,
    structural: int = 0,
    feeling: int | None = None,
    on_map: bool = True,
    status: str = "published",
) -> None:
    """Entries as moderation leaves them: published, counted on the map, with their words."""
    assert area.id is not None
    created = datetime(int(month[:4]), int(month[5:]), 14, 21, 37, tzinfo=UTC)
    for kind, count in (("safe", safe), ("unsafe", unsafe), ("structural", structural)):
        for _ in range(count):
            number = next(_numbers)
            session.add(
                Report(
                    area_id=area.id,
                    receipt_code=f"T{number:08d}",
                    submission_token=f"token-{number}",
                    kind=kind,
                    status=status,
                    h3_cell=cell,
                    show_on_map=on_map,
                    created_at=created,
                    feeling=feeling,
                    description=WORDS,
                    public_description=WORDS,
                    time_bands="evening",
                    categories="followed_harassed",
                )
            )
    session.commit()


def _rows(
    client: TestClient, query: str = "", **headers: str
) -> dict[tuple[str, str], dict[str, Any]]:
    response = client.get(f"/api/v1/cells{query}", headers=headers)
    assert response.status_code == 200, response.text
    return {(row["cell"], row["month"]): row for row in response.json()["cells"]}


def test_counts_by_cell_and_month_with_kinds_and_feeling(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    plant(session, area, PARK, "2026-03", safe=3, unsafe=2, structural=1, feeling=4)
    plant(session, area, PARK, "2026-04", unsafe=6, feeling=None)
    plant(session, area, PARK, "2026-04", unsafe=1, feeling=2)
    response = client.get("/api/v1/cells")
    assert response.status_code == 200
    body = response.json()
    assert body["area"] == area.slug and body["resolution"] == 8 and body["min_count"] == 5
    assert body["cells"] == [
        {
            "cell": PARK,
            "month": "2026-03",
            "entries": 6,
            "safe": 3,
            "unsafe": 2,
            "structural": 1,
            "mean_feeling": 4.0,
        },
        # Only one of the seven gave a feeling: fewer than k, so no mean (it would be that one person's answer).
        {
            "cell": PARK,
            "month": "2026-04",
            "entries": 7,
            "safe": 0,
            "unsafe": 7,
            "structural": 0,
            "mean_feeling": None,
        },
    ]


def test_no_words_no_fine_times_and_only_published_entries_counted_on_the_map(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    plant(session, area, PARK, "2026-03", unsafe=6)
    plant(session, area, PARK, "2026-03", unsafe=4, on_map=False)
    plant(session, area, PARK, "2026-03", unsafe=4, status="pending")
    response = client.get("/api/v1/cells")
    assert (
        WORDS not in response.text and "21:37" not in response.text and "T21" not in response.text
    )
    (row,) = response.json()["cells"]
    assert set(row) == {"cell", "month", "entries", "safe", "unsafe", "structural", "mean_feeling"}
    assert row["month"] == "2026-03" and row["entries"] == 6


def test_a_cell_month_under_k_is_never_published(client: TestClient, session: Session) -> None:
    area = make_area(session)
    plant(session, area, PARK, "2026-03", unsafe=4)
    plant(session, area, FIELDS, "2026-03", safe=9)
    plant(session, area, KESTREL, "2026-03", safe=8)
    rows = _rows(client)
    assert (PARK, "2026-03") not in rows
    assert all(row["entries"] >= 5 for row in rows.values())
    assert client.get("/api/v1/cells").json()["withheld"] >= 1


def test_a_hidden_month_cannot_be_worked_out_from_the_maps_cell_total(
    client: TestClient, session: Session
) -> None:
    # The park's cell has 6 + 7 + 2 + 9 = 24 entries, all shown as one total on the public map. If
    # only the 2 were withheld, 24 minus the published months would give it away.
    area = make_area(session)
    planted = {"2026-01": 6, "2026-02": 7, "2026-03": 2, "2026-04": 9}
    for month, count in planted.items():
        plant(session, area, PARK, month, unsafe=count)
    rows = _rows(client)
    hidden = [month for month in planted if (PARK, month) not in rows]
    assert "2026-03" in hidden and len(hidden) >= 2
    assert sum(planted[m] for m in hidden) >= 5
    # The map still shows the cell's total: what it shows minus what open data shows is never one month.
    page = client.get("/map").text
    assert f'data-cell="{PARK}"' in page
    published = sum(rows[(PARK, m)]["unsafe"] for m in planted if (PARK, m) in rows)
    assert 24 - published == sum(planted[m] for m in hidden)


def test_a_hidden_cell_cannot_be_worked_out_from_a_months_total(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    plant(session, area, PARK, "2026-05", unsafe=3)
    plant(session, area, FIELDS, "2026-05", safe=8)
    plant(session, area, KESTREL, "2026-05", safe=11)
    rows = _rows(client)
    assert (PARK, "2026-05") not in rows and (
        FIELDS,
        "2026-05",
    ) not in rows  # the smallest other one goes too
    assert (KESTREL, "2026-05") in rows


def test_a_window_of_months_returns_the_same_suppressed_rows(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    for month, count in {"2026-01": 6, "2026-02": 7, "2026-03": 2, "2026-04": 9}.items():
        plant(session, area, PARK, month, unsafe=count)
    everything = _rows(client)
    window = _rows(client, "?from=2026-02&to=2026-04")
    assert window == {
        key: row for key, row in everything.items() if "2026-02" <= key[1] <= "2026-04"
    }
    assert _rows(client, "?from=2026-01&to=2026-01") == {
        key: row for key, row in everything.items() if key[1] == "2026-01"
    }


@pytest.mark.parametrize(
    "query",
    [
        "?from=2026-13",
        "?from=2026-1",
        "?to=soon",
        "?from=2026-05&to=2026-02",
        "?area=Not%20A%20Slug!",
        "?from=1850-01",
        "?area=" + "a" * 61,
    ],
)
def test_bad_parameters_are_refused_with_422(
    client: TestClient, session: Session, query: str
) -> None:
    make_area(session)
    response = client.get(f"/api/v1/cells{query}")
    assert response.status_code == 422, response.text
    assert "detail" in response.json()
    assert client.get(f"/api/v1/cells.csv{query}").status_code == 422


def test_another_areas_data_is_never_included(client: TestClient, session: Session) -> None:
    home = make_area(session)
    other = make_area(
        session, "northwick", hostname="northwick.example", min_lat=52.63, max_lat=52.69
    )
    other_cell = h3.latlng_to_cell(52.65, -1.99, 8)
    plant(session, home, PARK, "2026-03", unsafe=6)
    plant(session, other, other_cell, "2026-03", unsafe=40)
    plant(session, other, PARK, "2026-03", unsafe=30)  # the same cell id in the other area's data
    rows = _rows(client)
    assert set(rows) == {(PARK, "2026-03")} and rows[(PARK, "2026-03")]["entries"] == 6
    assert client.get("/api/v1/cells?area=northwick").status_code == 404
    assert other_cell not in client.get("/api/v1/cells.csv").text
    # The other area's own site publishes its own data, and not this one's.
    theirs = _rows(client, "", host="northwick.example")
    assert theirs[(PARK, "2026-03")]["entries"] == 30 and (other_cell, "2026-03") in theirs
    assert client.get(f"/api/v1/cells?area={home.slug}").status_code == 200


def test_documented_in_openapi_with_response_model_and_bounded_parameters(
    client: TestClient, session: Session
) -> None:
    make_area(session)
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/cells"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"area", "from", "to"}
    assert all(p["in"] == "query" and p.get("description") for p in parameters.values())
    assert parameters["from"]["schema"]["anyOf"][0]["pattern"].startswith("^")
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = spec["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert all(field.get("description") for field in page["properties"].values())
    cell = spec["components"]["schemas"]["CellCounts"]
    assert set(cell["properties"]) == {
        "cell",
        "month",
        "entries",
        "safe",
        "unsafe",
        "structural",
        "mean_feeling",
    }
    assert all(field.get("description") for field in cell["properties"].values())
    assert "422" in operation["responses"]
    assert "text/csv" in spec["paths"]["/api/v1/cells.csv"]["get"]["responses"]["200"]["content"]


def test_the_csv_has_the_same_rows_and_is_linked_from_the_map(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    plant(session, area, PARK, "2026-03", safe=3, unsafe=3, feeling=3)
    plant(session, area, FIELDS, "2026-04", unsafe=7)
    response = client.get("/api/v1/cells.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(response.text)))
    assert lines[0] == ["cell", "month", "entries", "safe", "unsafe", "structural", "mean_feeling"]
    json_rows = client.get("/api/v1/cells").json()["cells"]
    assert [line[:2] for line in lines[1:]] == [[row["cell"], row["month"]] for row in json_rows]
    assert lines[1] == [PARK, "2026-03", "6", "3", "3", "0", "3.0"]
    assert lines[2][-1] == ""  # no mean feeling: an empty cell, not "None"
    assert 'href="/api/v1/cells.csv"' in client.get("/map").text


def test_csv_cells_cannot_run_as_spreadsheet_formulas() -> None:
    rows = [
        CellCounts(
            cell='=HYPERLINK("http://x")',
            month="+2026-01",
            entries=5,
            safe=5,
            unsafe=0,
            structural=0,
            mean_feeling=None,
        ),
        CellCounts(
            cell="@SUM(A1)",
            month="-1",
            entries=5,
            safe=5,
            unsafe=0,
            structural=0,
            mean_feeling=None,
        ),
    ]
    lines = list(csv.reader(io.StringIO(cells_csv(rows))))
    assert lines[1][:2] == ['\'=HYPERLINK("http://x")', "'+2026-01"]
    assert lines[2][:2] == ["'@SUM(A1)", "'-1"]
