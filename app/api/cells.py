"""Open data: counts per H3 cell and calendar month, as JSON (`/api/v1/cells`) and CSV (`/api/v1/cells.csv`).

Both answer from app.register.public_map.open_cells, which applies the k rule and secondary
suppression (app.register.suppression explains the rule). No words people wrote, no map points,
no times finer than a month, no cell-month with fewer than k entries. The CSV lives under the
API beside the JSON it mirrors, and the public map links to it.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.api.routes import REFUSALS
from app.core.web import PublicArea, ReadSession
from app.register.public_map import OpenCells, open_cells

router = APIRouter(prefix="/api/v1", tags=["open data"])

MONTH_PATTERN = r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$"
CSV_COLUMNS = ("cell", "month", "entries", "safe", "unsafe", "structural", "mean_feeling")
RULE = (
    "Cell-months with fewer than min_count entries are never published. Where a hidden figure could be "
    "worked out from a total (a cell's all-time count on the public map, or a month's total across the "
    "area), more figures in that cell or month are hidden, smallest first, until at least two are hidden "
    "and together they hold at least min_count entries."
)


class CellCounts(BaseModel):
    cell: str = Field(
        description="The H3 cell (hexagon) index, at the area's resolution.",
        examples=["88195c00b7fffff"],
    )
    month: str = Field(
        description="The calendar month the entries were sent in, YYYY-MM, in UTC.",
        examples=["2026-10"],
    )
    entries: int = Field(
        description="Published entries in this cell and month: safe + unsafe + structural. Always at least min_count."
    )
    safe: int = Field(description="Entries about somewhere people feel safe.")
    unsafe: int = Field(description="Entries about somewhere people feel unsafe.")
    structural: int = Field(
        description="Entries about something that needs to change (no youth club, no lighting, ...)."
    )
    mean_feeling: float | None = Field(
        description="Mean of how people said the place feels, from 1 (very unsafe) to 5 (very safe), to one decimal place; "
        "null when fewer than min_count entries gave a feeling."
    )


class CellsPage(BaseModel):
    area: str = Field(description="The area's short name (slug).")
    resolution: int = Field(
        description="The H3 resolution of every cell (8 is about 0.7 km², 1 km across)."
    )
    min_count: int = Field(
        description="k: the fewest entries a published cell-month can have in this area."
    )
    from_month: str | None = Field(
        description="The first month asked for (YYYY-MM), or null for the start."
    )
    to_month: str | None = Field(
        description="The last month asked for (YYYY-MM), or null for up to now."
    )
    withheld: int = Field(
        description="How many cell-months in the window were kept back by the k rule or secondary suppression."
    )
    suppression: str = Field(description="The suppression rule, in words.")
    cells: list[CellCounts] = Field(
        description="One row per published cell and month, by month then cell."
    )


FromMonth = Annotated[
    str | None,
    Query(alias="from", pattern=MONTH_PATTERN, description="First month to include, YYYY-MM."),
]
ToMonth = Annotated[
    str | None,
    Query(alias="to", pattern=MONTH_PATTERN, description="Last month to include, YYYY-MM."),
]
AreaSlug = Annotated[
    str | None,
    Query(
        alias="area",
        min_length=1,
        max_length=60,
        pattern=r"^[a-z0-9-]+$",
        description="The area's slug. Optional: each site serves one area, and naming another is refused with 404.",
    ),
]


def _answer(
    session: ReadSession, area: PublicArea, slug: str | None, since: str | None, until: str | None
) -> OpenCells:
    if slug is not None and slug != area.slug:
        raise HTTPException(status_code=404, detail="This site does not publish that area's data.")
    if since and until and since > until:
        raise HTTPException(
            status_code=422,
            detail=[
                {
                    "loc": ["query", "from"],
                    "msg": "from must not be after to",
                    "type": "value_error",
                }
            ],
        )
    return open_cells(session, area, since=since, until=until)


def _rows(found: OpenCells) -> list[CellCounts]:
    k = found.area.min_cell_count
    return [
        CellCounts(
            cell=row.cell,
            month=row.month,
            entries=row.entries,
            safe=row.safe,
            unsafe=row.unsafe,
            structural=row.structural,
            mean_feeling=row.mean_feeling(k),
        )
        for row in found.rows
    ]


@router.get("/cells", response_model=CellsPage, responses={404: REFUSALS[404]})
def cells(
    session: ReadSession,
    area: PublicArea,
    slug: AreaSlug = None,
    since: FromMonth = None,
    until: ToMonth = None,
) -> CellsPage:
    """Published entries per H3 cell and month, with the k rule and secondary suppression applied.

    Counts only: never what anyone wrote, never a map point, never a time finer than a month.
    A month with no row had no entries there, or its figure is withheld (see `suppression`).
    """
    found = _answer(session, area, slug, since, until)
    return CellsPage(
        area=area.slug,
        resolution=area.h3_resolution,
        min_count=area.min_cell_count,
        from_month=since,
        to_month=until,
        withheld=found.withheld,
        suppression=RULE,
        cells=_rows(found),
    )


def _safe_cell(value: object) -> object:
    # As the register's exports do: a cell starting with = + - @ (or a tab or return) would run as a
    # formula in a spreadsheet, so it gets a leading apostrophe.
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def cells_csv(rows: list[CellCounts]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = [
            row.cell,
            row.month,
            row.entries,
            row.safe,
            row.unsafe,
            row.structural,
            "" if row.mean_feeling is None else row.mean_feeling,
        ]
        writer.writerow([_safe_cell(v) for v in values])
    return buffer.getvalue()


@router.get(
    "/cells.csv",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "The same rows as /api/v1/cells, one per line, with a header row.",
        },
        404: REFUSALS[404],
    },
)
def cells_as_csv(
    session: ReadSession,
    area: PublicArea,
    slug: AreaSlug = None,
    since: FromMonth = None,
    until: ToMonth = None,
) -> Response:
    """The open data as a spreadsheet: columns cell, month, entries, safe, unsafe, structural, mean_feeling."""
    found = _answer(session, area, slug, since, until)
    return Response(
        cells_csv(_rows(found)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{area.slug}-cells.csv"'},
    )
