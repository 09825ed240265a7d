"""Patterns in words: the names of what contexts share, for the email and the patterns page.

Names are looked up in the language current when called; an area's own neighbourhood names stay as
they are, and themes are in the area's co-designed words. The email says names and numbers only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.support import LazyProxy

from app.areas.models import PlaceKind
from app.core.i18n import lazy_gettext as _l
from app.register.patterns.detection import Finding, Thresholds
from app.register.patterns.models import Facet
from app.reports.models import ReportKind
from app.reports.taxonomy import DAYS, TIME_BANDS
from app.taxonomy.service import CategoryNames

# --- Words -------------------------------------------------------------------------------------

FACET_NAMES: dict[str, LazyProxy] = {
    Facet.THEME: _l("Theme"),
    Facet.TIME_BAND: _l("Time of day"),
    Facet.DAY: _l("Days"),
    Facet.NEIGHBOURHOOD: _l("Neighbourhood"),
    Facet.PLACE_KIND: _l("Kind of place"),
}
PLACE_KINDS: dict[str, LazyProxy] = {
    PlaceKind.STREET: _l("Streets"),
    PlaceKind.PARK: _l("Parks"),
    PlaceKind.SCHOOL: _l("Around schools"),
    PlaceKind.TRANSPORT: _l("Transport"),
    PlaceKind.SHOP: _l("Shops"),
    PlaceKind.COMMUNITY: _l("Community places"),
    PlaceKind.OTHER: _l("Other places"),
}


def facet_name(facet: str) -> str:
    found = FACET_NAMES.get(facet)
    return str(found) if found is not None else facet


def facet_labels(categories: CategoryNames) -> Callable[[str, str], str]:
    """Names a shared thing in words, in the language current when called (the area's own
    neighbourhood names stay as they are; themes in the area's co-designed words)."""
    tables: dict[str, Callable[[str], str]] = {
        Facet.THEME: lambda c: categories(c, kind=ReportKind.UNSAFE),
        Facet.TIME_BAND: lambda c: str(TIME_BANDS.get(c, c)),
        Facet.DAY: lambda c: str(DAYS.get(c, c)),
        Facet.PLACE_KIND: lambda c: str(PLACE_KINDS.get(c, c)),
    }

    def label(facet: str, code: str) -> str:
        return tables[facet](code) if facet in tables else code

    return label


def email_item(finding: Finding, thresholds: Thresholds) -> dict[str, Any]:
    """What the email says about one new pattern: names and numbers only."""
    return {
        "kind": finding.kind,
        "weeks": thresholds.recent_weeks,
        "baseline_weeks": thresholds.baseline_weeks,
        "facet": finding.facet,
        "code": finding.code,
        "recent": finding.recent,
        "baseline": finding.baseline,
        "expected": round(finding.expected, 1),
        "names": [c.name for c in finding.contexts],
        "count": len(finding.contexts),
    }

