"""The public map: the area's outline and named places on a server-rendered SVG, legible numbers,
safe as well as unsafe cells with a legend that does not rest on colour, the k rule, and no words."""

from __future__ import annotations

import re

import h3
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.register.public_map import NUMBER_SIZE, PUBLIC_WIDTH, wrap
from tests.factories import make_area, make_place
from tests.functional.test_open_data_cells import FIELDS, KESTREL, PARK, WORDS, plant


def _svg(html: str) -> str:
    match = re.search(r"<svg[^>]*data-area-map.*?</svg>", html, re.S)
    assert match, "the map page has no map"
    return match.group(0)


def test_the_outline_and_named_places_are_drawn_without_any_entries(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    make_place(session, area, "Victoria Park", "park", 52.5760, -1.9862)
    make_place(session, area, "Brackenford Bus Station", "transport", 52.5811, -1.9935)
    page = client.get("/map")
    assert page.status_code == 200
    svg = _svg(page.text)
    outline = re.findall(r'<polygon points="([^"]+)" class="area-map__outline"', svg)
    assert len(outline) == 1 and len(outline[0].split()) > 6  # a shape, not a dot
    labels = " ".join(re.findall(r'<text class="area-map__place"[^>]*>(.*?)</text>', svg, re.S))
    assert "Victoria Park" in labels
    assert "Brackenford Bus" in labels and "Station" in labels  # long names wrap onto two lines
    assert "not enough yet" in page.text
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg


def test_numbers_are_legible_and_every_shown_cell_is_in_the_table(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    plant(session, area, PARK, "2026-03", unsafe=6, safe=1)
    plant(session, area, FIELDS, "2026-03", safe=7)
    page = client.get("/map").text
    svg = _svg(page)
    width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))  # type: ignore[union-attr]
    assert width == PUBLIC_WIDTH
    numbers = re.findall(
        r'<text[^>]*class="hex__label"[^>]*font-size="(\d+)"[^>]*>(\d+)</text>', svg
    )
    assert sorted(n for _size, n in numbers) == ["1", "2"]
    # Drawn about a phone's width: on a 360 px screen (328 px of map) each number is at least 14 px.
    assert all(int(size) * 328 / width >= 14 for size, _n in numbers) and NUMBER_SIZE >= 15
    # A white halo under every number keeps it readable over the stripes and dots.
    assert all(
        'stroke="#ffffff"' in tag and 'paint-order="stroke"' in tag
        for tag in re.findall(r'<text[^>]*class="hex__label"[^>]*>', svg)
    )
    rows = re.findall(r'<tr data-row-cell="(\w+)"><th scope="row">(\d+)</th>', page)
    assert [number for _cell, number in rows] == ["1", "2"]
    assert {cell for cell, _number in rows} == {PARK, FIELDS}


def test_mostly_safe_cells_show_as_well_as_unsafe_ones_with_a_legend_in_words_and_pattern(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    make_place(session, area, "Brackenford Library", "community", 52.5795, -1.9895)
    plant(session, area, PARK, "2026-03", unsafe=6)
    plant(session, area, FIELDS, "2026-03", safe=6)
    plant(session, area, KESTREL, "2026-03", safe=3, unsafe=3)
    page = client.get("/map").text
    svg = _svg(page)
    assert re.search(
        rf'class="hex area-map__cell--mostly-safe" fill="url\(#map-fill-mostly-safe\)" data-cell="{FIELDS}"',
        svg,
    )
    assert re.search(
        rf'class="hex area-map__cell--mostly-unsafe" fill="url\(#map-fill-mostly-unsafe\)" data-cell="{PARK}"',
        svg,
    )
    assert re.search(
        rf'area-map__cell--mixed" fill="url\(#map-fill-mixed\)" data-cell="{KESTREL}"', svg
    )
    # Not colour alone: the mixed pattern has dots, the unsafe one stripes, and the legend names both.
    assert re.search(r'<pattern id="map-fill-mixed".*?<circle', svg, re.S)
    assert re.search(r'<pattern id="map-fill-mostly-unsafe"[^>]*rotate\(45\)', svg)
    for words in ("Mostly safe: plain", "Mixed: dotted", "Mostly unsafe: striped"):
        assert words in page
    # The table says where each cell is in words, from the gazetteer.
    assert re.search(r'<th scope="row">\d, near Brackenford Library</th>', page)


def test_cells_under_k_are_not_drawn_and_no_words_are_shown(
    client: TestClient, session: Session
) -> None:
    area = make_area(session)
    plant(session, area, PARK, "2026-03", unsafe=4)
    plant(session, area, FIELDS, "2026-03", unsafe=5)
    plant(session, area, KESTREL, "2026-03", unsafe=9, on_map=False)
    page = client.get("/map").text
    assert f'data-cell="{PARK}"' not in page
    assert f'data-cell="{FIELDS}"' in page
    assert f'data-cell="{KESTREL}"' not in page
    assert "1 more area is hidden because fewer than 5 people have told us about it." in page
    assert WORDS not in page


def test_the_k_of_the_area_is_the_threshold(client: TestClient, session: Session) -> None:
    area = make_area(session, min_cell_count=8)
    plant(session, area, PARK, "2026-03", unsafe=7)
    page = client.get("/map").text
    assert f'data-cell="{PARK}"' not in page and "at least 8 people" in page


def test_another_areas_cells_never_appear(client: TestClient, session: Session) -> None:
    home = make_area(session)
    other = make_area(session, "northwick", hostname="northwick.example")
    plant(session, other, PARK, "2026-03", unsafe=12)
    plant(session, home, FIELDS, "2026-03", safe=6)
    svg = _svg(client.get("/map").text)
    assert f'data-cell="{PARK}"' not in svg and f'data-cell="{FIELDS}"' in svg


def test_every_cell_sits_inside_the_outline_it_was_derived_from(session: Session) -> None:
    from app.register.public_map import outline_rings

    area = make_area(session)
    rings = outline_rings(area)
    covered = {
        cell
        for ring in rings
        for cell in h3.h3shape_to_cells_experimental(h3.LatLngPoly(ring), 8, contain="overlap")
    }
    assert {PARK, FIELDS, KESTREL} <= covered


def test_long_place_names_wrap_between_words() -> None:
    assert wrap("Brackenford Bus Station") == ["Brackenford Bus", "Station"]
    assert wrap("Late-night shop on Foundry Street") == ["Late-night shop", "on Foundry Street"]
    assert wrap("Mill Lane") == ["Mill Lane"]
