"""What a large demo looks like: several areas, thousands of contexts each, most of them quiet.

A real area's register is a long tail: a few places (the town-centre bus station, an underpass)
gather many entries, and thousands of streets, shops and group chats have a handful each. The
small demo (the default 400 reports) keeps the one town of town.py as it is; from LARGE_FROM
reports on, the loader adds neighbouring fictional areas and invented contexts, and each report
picks its context with Zipf-like weights. Every name here is invented.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any

import h3

from app.demo import town

LARGE_FROM = 20_000
# About one context per this many reports in an area, between the bounds below.
REPORTS_PER_CONTEXT = 60
MIN_CONTEXTS, MAX_CONTEXTS = 300, 4000
# Zipf exponent: the busiest context of an area has about 5% of its entries.
ZIPF = 0.85

EXTRA_AREAS = [
    ("northwick", "Northwick"), ("eastmere", "Eastmere"), ("holloway-vale", "Holloway Vale"),
    ("ashby-fold", "Ashby Fold"), ("carrow-bridge", "Carrow Bridge"), ("wrenfield", "Wrenfield"),
    ("stanmoor", "Stanmoor"), ("linwood-cross", "Linwood Cross"),
]
_FIRST = [
    "Alder", "Birch", "Cedar", "Elm", "Hazel", "Holly", "Juniper", "Larch", "Maple", "Oak", "Rowan", "Willow", "Yew",
    "Ash", "Beech", "Chestnut", "Hawthorn", "Laurel", "Poplar", "Sycamore", "Foxglove", "Heather", "Primrose", "Bracken",
    "Kingfisher", "Wren", "Lark", "Swift", "Plover", "Curlew", "Badger", "Otter", "Falcon", "Merlin", "Thistle", "Clover",
    "Meadow", "Brook", "Quarry", "Forge",
]
_SECOND = [
    "Street", "Road", "Lane", "Close", "Way", "Avenue", "Crescent", "Drive", "Grove", "Walk", "Row", "Terrace",
    "Park", "Rec", "play area", "shops", "garages", "alleyway", "footbridge", "bus stop", "car park", "corner shop",
    "chip shop", "community centre", "playing fields",
]
_ONLINE = ["group chat", "gaming server", "video app comments", "photo sharing group", "year group chat"]
_SETTINGS = ["youth club", "football club", "boxing gym", "skate park", "after-school club", "library study room"]
NEIGHBOURHOODS = ["Town centre", "Northside", "Southside", "Eastside", "Westfields", "Riverside", "Old town", "Hillcrest"]


@dataclass(frozen=True)
class ContextSeed:
    name: str
    kind: str
    h3_cell: str | None
    neighbourhood: str
    status: str


def area_count(reports: int) -> int:
    """How many areas a demo of this size spreads over (one for the small demo)."""
    if reports < LARGE_FROM:
        return 1
    return min(1 + len(EXTRA_AREAS), 2 + reports // 250_000)


def area_values(index: int) -> dict[str, Any]:
    """Area settings for the index-th extra area: Brackenford's, moved along the map."""
    slug, name = EXTRA_AREAS[index]
    shift = 0.08 * (index + 1)
    values = dict(town.AREA)
    values |= {
        "slug": slug, "name": name, "safeguarding_emails": f"safeguarding@{slug}.example",
        "min_lat": town.AREA["min_lat"] + shift, "max_lat": town.AREA["max_lat"] + shift,  # type: ignore[operator]
        "help_contacts": [{"name": f"{name} Youth Hub", "phone": "01632 960789", "description": "Youth workers, weekday evenings."}],
    }
    return values


def context_count(area_reports: int) -> int:
    return max(MIN_CONTEXTS, min(MAX_CONTEXTS, area_reports // REPORTS_PER_CONTEXT))


def context_seeds(rng: random.Random, area: dict[str, Any], count: int) -> list[ContextSeed]:
    """Invented contexts for one area: mostly streets and places, some settings and online spaces."""
    names = [f"{a} {b}" for a, b in itertools.product(_FIRST, _SECOND)]
    rng.shuffle(names)
    seeds = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.06:
            name, kind, cell = f"{rng.choice(_FIRST)} {rng.choice(_ONLINE)}", "online", None
        else:
            lat = rng.uniform(area["min_lat"], area["max_lat"])
            lng = rng.uniform(area["min_lng"], area["max_lng"])
            cell = h3.latlng_to_cell(lat, lng, area["h3_resolution"])
            name = f"{rng.choice(_FIRST)} {rng.choice(_SETTINGS)}" if roll < 0.12 else names[index % len(names)]
            kind = "setting" if roll < 0.12 else "place"
        if index >= len(names) or kind != "place":
            name = f"{name} ({rng.choice(NEIGHBOURHOODS)})"
        # Most contexts are simply being watched; a few reach the panel.
        status = rng.choices(["new", "watching", "assessing", "on_panel_agenda", "plan_in_place", "reviewing", "closed"],
                             weights=[50, 30, 8, 0.5, 5, 4, 2.5])[0]
        seeds.append(ContextSeed(name[:160], kind, cell, rng.choice(NEIGHBOURHOODS), status))
    return seeds


def zipf_weights(count: int) -> list[float]:
    """Cumulative weights: the first context is the busiest, then a long tail of quiet ones."""
    return list(itertools.accumulate(1.0 / (rank + 1) ** ZIPF for rank in range(count)))
