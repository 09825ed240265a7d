"""Postcodes, street addresses and named blocks of flats ("Flat 6, Tennyson House").

A street name alone ("the park on Mill Lane") is not an address: it needs a house
number. A named building people live in ("Jubilee House", "Nelson Court", "Tower
Block B") is one on its own, because on an estate it narrows a child down to a door.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.moderation.triage.pii.spans import Span, strip_trailing_punctuation
from app.moderation.triage.pii.wordlists import (
    BUILDING_NOUNS,
    COMMON_WORDS,
    NOT_NAMES,
    STREET_SUFFIXES,
    WELSH_STREET_PREFIXES,
    words,
)


def _alternation(options: tuple[str, ...] | frozenset[str]) -> str:
    return "|".join(re.escape(o) for o in sorted(options, key=len, reverse=True))


# --- postcodes -----------------------------------------------------------------------

# Inward code letters never include C, I, K, M, O or V.
_POSTCODE_RE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
# Real postcode areas: an outward code alone is only flagged in postcode-like context.
_POSTCODE_AREAS = words(
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY "
    "E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE "
    "LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL "
    "SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE"
)
_OUTWARD = rf"(?:{_alternation(_POSTCODE_AREAS)})[0-9][0-9A-Z]?"
_OUTWARD_RE = re.compile(
    rf"(?:\b(?:post ?code|postal code)(?:\s+(?:is|was))?\s*[:\-]?\s*|\b(?:in|round|around|near|"
    rf"from|of)\s+)"
    rf"(?P<code>{_OUTWARD})\b"
    rf"|\b(?P<code2>{_OUTWARD})\s+(?:area|postcode|district)\b"
)
_LETTER_DIGIT_RE = re.compile(r"[A-Za-z]\d|\d[A-Za-z]")


def _has_uniform_case(token: str) -> bool:
    letters = [ch for ch in token if ch.isalpha()]
    return all(ch.isupper() for ch in letters) or all(ch.islower() for ch in letters)


def find_postcodes(text: str) -> Iterator[Span]:
    if _LETTER_DIGIT_RE.search(text) is None:
        return
    for match in _POSTCODE_RE.finditer(text):
        if _has_uniform_case(match.group()):
            yield Span("postcode", match.start(), match.end())
    for match in _OUTWARD_RE.finditer(text):
        group = "code" if match.group("code") else "code2"
        yield Span("postcode", match.start(group), match.end(group))


# --- house number + street -------------------------------------------------------------

_ADDRESS_STOPWORDS = words(
    "the a an to of on at in and or by from for with into onto over under about around near past "
    "my his her their our your its this that these those some any every each no not is are was "
    "were be been times time people years year olds minutes mins hours hrs days weeks months quid "
    "pounds pence percent kids lads men women cars buses more less other than then just only also "
    "very really"
)
_ADDRESS_WORD = rf"(?!(?:{'|'.join(_ADDRESS_STOPWORDS)})\b)[^\W\d_][\w'\u2019.-]*"
_FLAT_WORDS = r"(?:flat|apartment|apt|unit|fflat|mieszkanie|apartamentul|ap\.)"
# "14", "14a", "3-5", "flat 3b, 21" or just "flat 6," before a building name.
_HOUSE_NUMBER = (
    rf"(?:{_FLAT_WORDS}\s*\d{{1,4}}[a-z]?,?\s+(?:\d{{1,4}}[a-z]?,?\s+)?"
    r"|\d{1,4}[a-z]?(?:\s*-\s*\d{1,4}[a-z]?)?,?\s+)"
)
_ADDRESS_RE = re.compile(
    rf"\b{_HOUSE_NUMBER}(?:"
    rf"(?:{_ADDRESS_WORD}\s+){{1,3}}(?:{_alternation((*STREET_SUFFIXES, *BUILDING_NOUNS))})\b\.?"
    rf"|(?:{_alternation(WELSH_STREET_PREFIXES)})\s+(?:(?:y|yr)\s+)?{_ADDRESS_WORD}"
    r"(?:\s+(?-i:[A-Z])[\w'\u2019-]*)?"
    r")",
    re.IGNORECASE,
)


def find_street_addresses(text: str) -> Iterator[Span]:
    for match in _ADDRESS_RE.finditer(text):
        end = strip_trailing_punctuation(text, match.start(), match.end())
        yield Span("street_address", match.start(), end)


# --- named blocks of flats --------------------------------------------------------------

# Words before "House"/"Court"/... that make an institution or a thing, not a home.
_NOT_RESIDENTIAL = frozenset(
    words(
        "crown county magistrates magistrates' magistrate family youth high supreme royal food "
        "tennis basketball netball squash badminton football coroners coroner's appeal white "
        "opera coffee town council public big care safe open tree dog club guest boat gate "
        "halfway play party haunted full bouncy hen court clock bell water radio control ivory "
        "eiffel blackpool earls hampton mansion somerset broadcasting custom customs police fire "
        "light lighthouse treehouse nans nan's nanas grans gran's grandmas granny's mums mum's "
        "dads dad's aunties uncles cousins friends friend's mates mate's bros sisters brothers "
        "boyfriends girlfriends neighbours neighbour's someones someone's peoples whose "
        "auntie's uncle's cousin's sister's brother's boyfriend's girlfriend's"
    )
)
# Capitalised words that often come before a building's name but are not part of it.
_LEADING_NOISE = frozenset(
    words(
        "tenants tenants' tenants’ residents residents' residents’ association "
        "committee group chair rep hi hello dear outside behind near opposite"
    )
)
_BUILDING_NOUN_RE = r"(?:House|Court|Tower|Towers|Heights|Mansions|Lodge|Point)"
_CAP_WORD = r"[A-Z][\w'\u2019-]+"
# "Jubilee House", "Oakwood Towers", "Beaumont Heights", "St Mary's Court"
_NAMED_BUILDING_RE = re.compile(
    rf"\b(?P<name>(?:St\.?\s+)?{_CAP_WORD}(?:\s+{_CAP_WORD}){{0,2}})\s+{_BUILDING_NOUN_RE}\b"
)
# "Tower Block B", "Block 4", "tower block c"
_BLOCK_RE = re.compile(r"\b(?:tower\s+)?block\s+(?![ai]\b)[a-z0-9]\b", re.IGNORECASE)
# Welsh: "Llys Gwynfor" (llys = court), "Tŷ Hafan" (tŷ = house), "Fflatiau Glan-yr-afon"
_WELSH_BUILDING_RE = re.compile(r"\b(?:Llys|Tŷ|Fflatiau)\s+[A-Z][\w'\u2019-]+")
# Lower-case text: "at marlowe court", "in jubilee house" after a preposition only.
_LOWER_BUILDING_RE = re.compile(
    r"\b(?:at|in|from|outside|near|behind|to)\s+"
    r"(?P<name>[a-z][a-z'\u2019-]{3,})\s+(?:house|court|tower|towers|heights|mansions)\b"
)


def _is_residential_name(name: str) -> bool:
    """False for "Crown Court", "Opera House", "The House" and similar."""
    name_words = [w.casefold() for w in name.split()]
    first = name_words[0]
    if first in _NOT_RESIDENTIAL or first in COMMON_WORDS or first in NOT_NAMES:
        return False
    return not all(w in COMMON_WORDS or w in _NOT_RESIDENTIAL for w in name_words)


def find_named_buildings(text: str) -> Iterator[Span]:
    for match in _NAMED_BUILDING_RE.finditer(text):
        name = match.group("name")
        start = match.start("name")
        # A capitalised sentence opener ("Outside Jubilee House") is not part of the name.
        name_words = name.split()
        while len(name_words) > 1 and (
            name_words[0].casefold() in COMMON_WORDS or name_words[0].casefold() in _LEADING_NOISE
        ):
            start = text.index(name_words[1], start + len(name_words[0]))
            name_words = name_words[1:]
        if _is_residential_name(" ".join(name_words)):
            yield Span("street_address", start, match.end())
    for match in _BLOCK_RE.finditer(text):
        yield Span("street_address", match.start(), match.end())
    for match in _WELSH_BUILDING_RE.finditer(text):
        yield Span("street_address", match.start(), match.end())
    for match in _LOWER_BUILDING_RE.finditer(text):
        if _is_residential_name(match.group("name")):
            yield Span("street_address", match.start("name"), match.end())
