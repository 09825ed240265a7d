"""Packaged word lists and the small vocabularies several detectors share.

The lists live in ``app/moderation/triage/data/*.txt`` (shipped as package data) and
are read once at import. Each file is whitespace-separated words, case-folded on
reading; ``#`` starts a comment, so every file opens with a line saying where its
words came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources

_DATA_PACKAGE = "app.moderation.triage"

# Languages the platform serves besides English. "ur" is Urdu written in Roman letters;
# Arabic-script Arabic and Urdu share the "arabic_script" lists.
LATIN_SCRIPT_LANGUAGES = ("cy", "pl", "ro", "so", "ur")


def words(text: str) -> tuple[str, ...]:
    """Whitespace-separated word list written compactly in source."""
    return tuple(text.split())


def read_word_list(filename: str) -> frozenset[str]:
    """Whitespace-separated, case-folded words; '#' starts a comment."""
    raw = resources.files(_DATA_PACKAGE).joinpath("data", filename).read_text("utf-8")
    found: set[str] = set()
    for line in raw.splitlines():
        found.update(word.casefold() for word in line.split("#", 1)[0].split())
    return frozenset(found)


def _union(filenames: Iterable[str]) -> frozenset[str]:
    result: set[str] = set()
    for filename in filenames:
        result |= read_word_list(filename)
    return frozenset(result)


_NAME_FILE_SUFFIXES = ("", "_cy", "_pl", "_ro", "_so", "_ar_ur_latin", "_arabic_script")

AMBIGUOUS_FIRST_NAMES = read_word_list("ambiguous_first_names.txt")
FIRST_NAMES = (
    _union(f"first_names{suffix}.txt" for suffix in _NAME_FILE_SUFFIXES) - AMBIGUOUS_FIRST_NAMES
)
SURNAMES = _union(f"surnames{suffix}.txt" for suffix in _NAME_FILE_SUFFIXES)
# Surnames that are also ordinary words ("Cross", "King"): they only extend a known first name.
WORD_SURNAMES = read_word_list("word_surnames.txt")
POLISH_FIRST_NAMES = read_word_list("first_names_pl.txt")
ROMANIAN_FIRST_NAMES = read_word_list("first_names_ro.txt")
COMMON_WORDS = read_word_list("common_words.txt")
NOT_NAMES = read_word_list("not_names.txt")
UK_PLACES = read_word_list("uk_places.txt")
LOWERCASE_WORD_NAMES = read_word_list("lowercase_word_names.txt")

# Frequent words of each language, used to tell which languages a text is in and to
# stop a word that is a name elsewhere ("pam" is Welsh for "why") being read as one.
FUNCTION_WORDS = {
    lang: read_word_list(f"function_words_{lang}.txt") for lang in LATIN_SCRIPT_LANGUAGES
}
ARABIC_SCRIPT_FUNCTION_WORDS = read_word_list("function_words_arabic_script.txt")
ALL_FUNCTION_WORDS = frozenset().union(*FUNCTION_WORDS.values(), ARABIC_SCRIPT_FUNCTION_WORDS)


def languages_in(folded_words: Iterable[str]) -> frozenset[str]:
    """Languages (from LATIN_SCRIPT_LANGUAGES) with at least two distinct function words here."""
    distinct = set(folded_words)
    return frozenset(
        lang for lang, vocabulary in FUNCTION_WORDS.items() if len(distinct & vocabulary) >= 2
    )


# Street types used after the street name (English) and before it (Welsh).
STREET_SUFFIXES = words(
    "road rd street st lane ln close avenue ave drive dr way court ct gardens gdns terrace tce "
    "crescent cres place pl grove hill row parade square sq walk mews rise view green park vale "
    "wharf yard mount bank brow fold gate croft meadow meadows chase heights boulevard embankment "
    "esplanade promenade quay circus wynd approach hollow passage path broadway villas cottages "
    "buildings side arcade"
)
WELSH_STREET_PREFIXES = words(
    "heol ffordd stryd lôn lon rhodfa cilgant teras clos maes llwyn cwrt sgwâr rhes"
)
# Nouns naming a block of flats or a building people live in ("Jubilee House").
BUILDING_NOUNS = words("house court tower towers heights mansions lodge point block flats")

# Nouns that turn a preceding capitalised word into a place ("Victoria Park").
PLACE_NOUNS = frozenset(
    (
        *STREET_SUFFIXES,
        *BUILDING_NOUNS,
        *words(
            "school primary academy college high centre center station library church hall "
            "house estate rec leisure hospital surgery stadium bridge market arms inn hotel "
            "shopping retail common woods wood forest valley bay beach pier cemetery chapel "
            "mosque temple gurdwara tower towers flats heath moor field fields playing garage "
            "shop shops club gym pool baths lido cinema theatre museum gallery river canal brook "
            "reservoir lake marina fc city united county town village island zoo pru"
        ),
    )
)
