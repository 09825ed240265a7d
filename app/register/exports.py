"""Panel-paper exports: CSV and GeoJSON (RFC 7946), redacted text only, one area only.

The CSVs are read by people (panel papers, spreadsheets), so every code in them is in the words
staff read on the register, in the exporting person's language: kinds, statuses, voices, time
bands, days and the area's own co-designed categories (app.taxonomy.service.category_names).
Moments stay ISO 8601 in UTC, for machines and sorting. GeoJSON is for machines and keeps codes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import h3
from sqlmodel import Session, col, select

from app.core import i18n
from app.register import labels
from app.register.models import Context
from app.register.panel import PanelItem
from app.reports.models import Report, ReportStatus
from app.reports.taxonomy import DAYS, TIME_BANDS
from app.taxonomy.defaults import speaking
from app.taxonomy.service import CategoryNames, category_names

CSV_COLUMNS = (
    "context_id", "context_name", "context_kind", "context_status", "entry_id", "entry_kind", "source",
    "created_at", "time_bands", "days", "categories", "feeling", "public_description", "public_what_would_help", "h3_cell",
)


def _entries(session: Session, area_id: int) -> Iterable[tuple[Report, Context]]:
    query = (
        select(Report, Context)
        .join(Context, col(Context.id) == col(Report.context_id))
        .where(Report.area_id == area_id, Context.area_id == area_id, Report.status == ReportStatus.PUBLISHED)
        .order_by(col(Context.id), col(Report.created_at))
    )
    return session.exec(query).all()


def _safe_cell(value: object) -> object:
    # Spreadsheet formula injection: a cell starting with = + - @ runs as a formula in Excel.
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def _words(table: dict[str, Any], codes: Iterable[str]) -> str:
    return "; ".join(str(table[code]) if code in table else code.replace("_", " ") for code in codes)


def entries_csv(session: Session, area_id: int, *, locale: str | None = None) -> str:
    """One row per published entry; `locale` is the reader's language (default: the current one)."""
    with speaking(locale or i18n.get_locale()):
        names = category_names(session, area_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for report, context in _entries(session, area_id):
            row: list[Any] = [
                context.id, context.name, labels.label(labels.KIND, context.kind), labels.label(labels.STATUS, context.status),
                report.id, labels.label(labels.ENTRY_KIND, report.kind), labels.label(labels.SOURCE, report.source),
                report.created_at.isoformat(), _words(TIME_BANDS, report.time_band_list), _words(DAYS, report.day_list),
                "; ".join(names.for_report(report)), report.feeling or "",
                report.public_description or "", report.public_what_would_help or "", report.h3_cell or "",
            ]
            writer.writerow([_safe_cell(v) for v in row])
        return buffer.getvalue()


def contexts_geojson(session: Session, area_id: int) -> dict[str, Any]:
    """One Feature per context with a cell: its H3 hexagon as a Polygon, counts as properties."""
    counts: dict[int, dict[str, int]] = {}
    for report, context in _entries(session, area_id):
        assert context.id is not None
        by_kind = counts.setdefault(context.id, {"safe": 0, "unsafe": 0, "structural": 0})
        by_kind[report.kind] = by_kind.get(report.kind, 0) + 1
    contexts = session.exec(
        select(Context).where(Context.area_id == area_id, col(Context.merged_into_id).is_(None)).order_by(col(Context.id))
    ).all()
    features = []
    for context in contexts:
        assert context.id is not None
        # An online space or a setting with no place has no geometry: RFC 7946 allows a null one.
        geometry = {"type": "Polygon", "coordinates": [cell_ring(context.h3_cell)]} if context.h3_cell else None
        features.append(
            {
                "type": "Feature",
                "id": context.id,
                "geometry": geometry,
                "properties": {
                    "name": context.name,
                    "kind": context.kind,
                    "status": context.status,
                    "neighbourhood": context.neighbourhood,
                    "flagged_for_panel": context.flagged_for_panel,
                    **counts.get(context.id, {"safe": 0, "unsafe": 0, "structural": 0}),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


PANEL_COLUMNS = (
    "context_id", "context_name", "kind", "neighbourhood", "status", "flagged_on", "reason", "unsafe_last_3_months",
    "unsafe_previous_3_months", "safe_last_3_months", "structural_last_3_months", "top_themes", "peak_time", "open_actions",
    "last_decision",
)


def panel_csv(items: Sequence[PanelItem], names: CategoryNames, *, locale: str | None = None) -> str:
    """The panel paper's data: one row per context on the agenda (staff notes, no entry text)."""
    with speaking(locale or i18n.get_locale()):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(PANEL_COLUMNS)
        for item in items:
            c = item.context
            row: list[Any] = [
                c.id, c.name, labels.label(labels.KIND, c.kind), c.neighbourhood, labels.label(labels.STATUS, c.status),
                c.flagged_at.date().isoformat() if c.flagged_at else "", c.panel_reason,
                item.recent.get("unsafe", 0), item.previous.get("unsafe", 0), item.recent.get("safe", 0), item.recent.get("structural", 0),
                "; ".join(f"{names(code)} ({n})" for code, n in item.themes), _words(TIME_BANDS, [item.peak_time]) if item.peak_time else "",
                "; ".join(_action_words(a) for a in item.open_actions),
                item.last_decision.decision if item.last_decision else "",
            ]
            writer.writerow([_safe_cell(v) for v in row])
        return buffer.getvalue()


def _action_words(action: Any) -> str:
    status = labels.label(labels.ACTION_STATUS, action.status)
    if action.due_date:
        # The due date as a date (ISO, so a spreadsheet sorts it), the rest in words.
        details = i18n.gettext("%(owner)s, %(status)s, due %(date)s", owner=action.owner_organisation, status=status, date=action.due_date.isoformat())
    else:
        details = i18n.gettext("%(owner)s, %(status)s", owner=action.owner_organisation, status=status)
    return f"{action.title} ({details})"


def cell_ring(cell: str) -> list[list[float]]:
    """The hexagon as an RFC 7946 ring: [lng, lat], counter-clockwise, closed."""
    ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(cell)]
    if _signed_area(ring) < 0:
        ring.reverse()
    ring.append(ring[0])
    return ring


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)) / 2


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
