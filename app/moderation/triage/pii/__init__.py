"""Personal-detail detection for Safety Map entries.

One module per detector (phones, web, addresses, vehicles, handles, schools, names);
each proposes candidate spans and ``find_personal_details`` keeps the longest candidate
wherever two overlap (a house number + street beats a first name inside it, an e-mail
beats the domain inside it). Word lists live in ``app/moderation/triage/data/*.txt``
and, like every regular expression here, are loaded once at import.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.moderation.triage.pii.addresses import (
    find_named_buildings,
    find_postcodes,
    find_street_addresses,
)
from app.moderation.triage.pii.handles import find_social_handles
from app.moderation.triage.pii.names import find_person_names
from app.moderation.triage.pii.phones import find_phones
from app.moderation.triage.pii.schools import find_gazetteer_matches, find_school_names_by_pattern
from app.moderation.triage.pii.spans import PII_KINDS, Span, choose_non_overlapping, overlaps_any
from app.moderation.triage.pii.vehicles import find_vehicle_regs
from app.moderation.triage.pii.web import find_emails, find_urls

__all__ = ["PII_KINDS", "Span", "find_personal_details"]


def _prefer_handles_over_bare_domains(candidates: list[Span], text: str) -> list[Span]:
    """'his account is abu.gamer.uk': a handle cue beats a link with no scheme or path."""
    handles = {(s.start, s.end) for s in candidates if s.kind == "social_handle"}
    return [
        s
        for s in candidates
        if not (
            s.kind == "url"
            and (s.start, s.end) in handles
            and "/" not in text[s.start : s.end]
            and not text[s.start : s.end].casefold().startswith("www.")
        )
    ]


def find_personal_details(
    text: str, *, school_names: Sequence[str] = (), place_names: Sequence[str] = ()
) -> list[Span]:
    """Personal details in ``text`` as sorted, non-overlapping spans."""
    if isinstance(school_names, str) or isinstance(place_names, str):
        raise TypeError("school_names and place_names must be sequences of names, not a string")
    candidates: list[Span] = []
    candidates.extend(find_emails(text))
    candidates.extend(find_urls(text))
    candidates.extend(find_phones(text))
    candidates.extend(find_postcodes(text))
    candidates.extend(find_street_addresses(text))
    candidates.extend(find_named_buildings(text))
    candidates.extend(find_vehicle_regs(text))
    candidates.extend(find_social_handles(text))
    candidates.extend(
        Span("school_name", s, e)
        for s, e in find_gazetteer_matches(text, school_names, school=True)
    )
    candidates.extend(find_school_names_by_pattern(text))

    # A name the area lists as a place ("Molly Malone", a pub) is not a person.
    places = find_gazetteer_matches(text, place_names, school=False)
    candidates.extend(span for span in find_person_names(text) if not overlaps_any(span, places))
    return choose_non_overlapping(_prefer_handles_over_bare_domains(candidates, text))
