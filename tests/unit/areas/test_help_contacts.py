"""How a page in one language lists an area's help contacts: its language first, then interpreters."""

from __future__ import annotations

from app.areas.help_contacts import contacts_for_page
from app.areas.models import Area


def _area(*contacts: dict[str, str]) -> Area:
    return Area(slug="brackenford", name="Brackenford", help_contacts=list(contacts))


def test_a_page_lists_its_own_language_first_then_interpreters_then_the_rest_in_the_areas_order() -> None:
    area = _area(
        {"name": "Youth Hub", "phone": "01632 960123"},  # saved before contacts had languages
        {"name": "Polish advice", "languages": "pl,en"},
        {"name": "Any language line", "languages": "interpreter"},
        {"name": "Welsh club", "languages": "cy"},
        {"name": "Polish club", "languages": "pl"},
    )

    polish = contacts_for_page(area, "pl")
    welsh = contacts_for_page(area, "cy")

    assert [c.name for c in polish.in_language] == ["Polish advice", "Polish club"]
    assert [c.name for c in polish.with_interpreter] == ["Any language line"]
    assert [c.name for c in polish.others] == ["Youth Hub", "Welsh club"]
    assert [c.name for c in welsh.in_language] == ["Welsh club"]


def test_no_area_and_unknown_codes_list_nothing_in_a_language() -> None:
    assert contacts_for_page(None, "pl") == contacts_for_page(_area(), "pl")
    odd = contacts_for_page(_area({"name": "Club", "languages": "xx,pl-PL"}), "pl")
    assert odd.in_language == [] and [c.name for c in odd.others] == ["Club"]
