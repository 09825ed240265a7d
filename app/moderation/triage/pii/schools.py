"""School names (by pattern, in any case) and the area gazetteers of schools and places.

Patterns: a specific name before a school word ("Hillbrook Primary", "oakfield high",
"st cuthbert's rc primary", "Bishop Alder C of E"), and school words that come first
in Welsh, Polish, Romanian and Somali ("Ysgol Maes y Gog", "yn ysgol y wern ddu",
"Szkoła Sobotnia Zielony Dąb", "Școala Gimnazială Nr. 5"). Generic phrases ("after
school", "Sunday School", "the local college", "Ysgol Sul") are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from app.moderation.triage.pii.spans import Span
from app.moderation.triage.pii.wordlists import (
    ALL_FUNCTION_WORDS,
    COMMON_WORDS,
    FUNCTION_WORDS,
    NOT_NAMES,
    words,
)

_SCHOOL_TYPES = (
    r"(?:Primary School|Primary Academy|Primary|Junior School|Juniors|Junior|Infant School|Infants|"
    r"High School|High|Secondary School|Academy|College|Grammar School|Grammar|"
    r"Comprehensive School|Comprehensive|Sixth Form College|Sixth Form|School|Prep School|PRU)"
)
_SCHOOL_DENOMINATION = (
    r"(?:RC|R\.C\.|CE|C of E|CofE|Catholic|Church of England|Methodist|Islamic|Jewish|Community)"
)
_NOT_A_STREET = r"(?!\s+(?:Street|St|Road|Rd|Lane)\b)"
# Capitalised: "Hillbrook Primary", "St. Mary's C of E Primary"
_SCHOOL_RE = re.compile(
    rf"\b(?P<name>(?:(?:St\.?|Saint|[A-Z][\w'\u2019-]*)\s+(?:(?:of|the|and|&)\s+)?){{1,4}})"
    rf"(?:{_SCHOOL_DENOMINATION}\s+)?(?P<type>{_SCHOOL_TYPES})\b{_NOT_A_STREET}"
)
# A name ending in a denomination with no school word: "Bishop Alder C of E"
_DENOMINATION_ONLY_RE = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'\u2019-]*\s+){1,3})(?:C of E|CofE|C\.E\.|R\.C\.|RC)(?![\w.])"
)
# Any case: "oakfield high", "st cuthbert's rc primary", "Oakley Vale academy"
_ANY_CASE_SCHOOL_RE = re.compile(
    r"(?<![\w'\u2019])(?P<name>(?:(?:st\.?|saint)\s+)?[^\W\d_][\w'\u2019-]*(?:\s+[^\W\d_][\w'\u2019-]*){0,2})"
    r"\s+(?:(?:rc|r\.c\.|c of e|cofe|ce|catholic)\s+)?"
    r"(?P<type>primary school|primary academy|primary|junior school|juniors|infant school|infants|"
    r"high school|high|secondary school|academy|college|grammar school|grammar|pru)\b"
    r"(?!\s+(?:street|st|road|rd|lane|concern|reason|aim|goal|care|carer|source|role|focus|issue)\b)",
    re.IGNORECASE,
)
# School words that need a place word just before the name: "outside kingsbury high".
_TYPES_NEEDING_A_CUE = frozenset(("high", "grammar"))
_CUE_BEFORE_NAME = frozenset(
    words(
        "at outside near from to behind by of in round opposite attends attend attending school "
        "goes go went joined started leaving left"
    )
)
# Urdu postpositions after the name: "parkside high mein" (at), "... se" (from).
_CUE_AFTER_NAME = frozenset(words("mein me se ke ka ki ko pe par"))
_GENERIC_SCHOOL_WORDS = frozenset(
    words(
        "the my our a his her their your local new old secondary primary high sunday driving "
        "dance night summer forest boarding special private state holiday language art music "
        "drama football swimming riding flying nursery grammar catholic welsh english this that "
        "every big main lower upper middle senior junior infant after before back free community "
        "sixth form st saint training boxing coding youth stage theatre gymnastics tennis cricket "
        "rugby martial karate basketball netball sports sport police bible faith polish saturday "
        "further education sons daughters kids brothers sisters cousins mates friends son's "
        "daughter's kid's brother's sister's cousin's friend's mate's "
        "teacher training agricultural catering hairdressing beauty"
    )
)
_POSSESSIVE_RE = re.compile(r"['\u2019]s$")
_WORD_RE = re.compile(r"[^\W\d_][\w'\u2019-]*")


def _is_generic(word: str) -> bool:
    folded = _POSSESSIVE_RE.sub("", word.casefold())
    return (
        folded in _GENERIC_SCHOOL_WORDS
        or word.casefold() in _GENERIC_SCHOOL_WORDS
        or folded in COMMON_WORDS
        or folded in NOT_NAMES
        or folded in ALL_FUNCTION_WORDS
    )


def _is_specific_school_name(name_part: str) -> bool:
    return any(not _is_generic(w) for w in name_part.split())


def _trim_generic_lead(text: str, start: int, end: int) -> int:
    """Start moved past leading generic words such as "The" or "My" (but not "St")."""
    for word in _WORD_RE.finditer(text, start, end):
        folded = word.group().casefold()
        if _is_generic(word.group()) and folded not in ("st", "saint"):
            start = word.end()
            while start < end and text[start].isspace():
                start += 1
        else:
            break
    return start


def _find_capitalised(text: str) -> Iterator[Span]:
    for match in _SCHOOL_RE.finditer(text):
        start = _trim_generic_lead(text, match.start("name"), match.end("name"))
        if _is_specific_school_name(text[start : match.start("type")]):
            yield Span("school_name", start, match.end())
    for match in _DENOMINATION_ONLY_RE.finditer(text):
        start = _trim_generic_lead(text, match.start("name"), match.end("name"))
        if start < match.end("name") and _is_specific_school_name(text[start : match.end("name")]):
            yield Span("school_name", start, match.end())


def _preceding_word(text: str, start: int) -> str:
    before = text[max(0, start - 30) : start].split()
    return before[-1].casefold().strip(",:;(") if before else ""


def _specific_tail_start(text: str, start: int, end: int) -> int | None:
    """Start of the run of specific words that ends the name ("pupils at [kingfisher]")."""
    tail_start: int | None = None
    for word in reversed(list(_WORD_RE.finditer(text, start, end))):
        folded = word.group().casefold().rstrip(".")
        if folded in ("st", "saint"):
            if tail_start is not None:
                tail_start = word.start()
            break
        if _is_generic(word.group()):
            break
        tail_start = word.start()
    return tail_start


def _find_any_case(text: str) -> Iterator[Span]:
    for match in _ANY_CASE_SCHOOL_RE.finditer(text):
        start = _specific_tail_start(text, match.start("name"), match.end("name"))
        # Every word of the name must be specific: "kids high" and "really high" are not.
        if start is None:
            continue
        if match.group("type").casefold() in _TYPES_NEEDING_A_CUE:
            cue = _preceding_word(text, start)
            after = text[match.end() : match.end() + 12].split()
            follows = after[0].casefold().strip(",.") if after else ""
            if (
                cue not in _CUE_BEFORE_NAME
                and not cue.endswith("school")
                and follows not in _CUE_AFTER_NAME
            ):
                continue
        yield Span("school_name", start, match.end())


# --- schools named with the school word first -----------------------------------------

_WELSH_SCHOOL_RE = re.compile(
    r"\b(?P<ysgol>ysgol)\s+(?P<rest>(?:[^\W\d_][\w'\u2019-]*)(?:\s+[^\W\d_][\w'\u2019-]*){0,4})",
    re.IGNORECASE,
)
# Words after "ysgol" that make it generic: Sunday school, primary school, summer school...
_WELSH_GENERIC_AFTER_YSGOL = frozenset(
    words(
        "sul gynradd uwchradd haf feithrin heddiw fory yfory eto bob nos newydd fawr fach arbennig "
        "breifat ddydd dydd sadwrn gymraeg gyfun ni chi nhw fi ti hi fo e ei eu hon hwn ac a yn "
        "i o ar"
    )
)
# Welsh words that may sit inside a name: "Ysgol Maes y Gog", "Ysgol Glan-yr-Afon".
_WELSH_NAME_LINKS = frozenset(words("y yr 'r r"))
_WELSH_PREFIX_WORDS = frozenset(words("gyfun gynradd uwchradd gymraeg bro glan"))
_WELSH_PREPOSITIONS = frozenset(words("yn o i ger wrth at am yng ym tu"))


def _welsh_school_end(text: str, match: re.Match[str]) -> int | None:
    """End offset of the name after "ysgol", or None when the phrase is generic."""
    welsh_words = FUNCTION_WORDS["cy"]
    end: int | None = None
    previous_end = match.start("rest")
    content = 0
    for i, word in enumerate(_WORD_RE.finditer(text, match.start("rest"), match.end("rest"))):
        if text[previous_end : word.start()].strip():
            break  # punctuation ends the name
        previous_end = word.end()
        folded = word.group().casefold()
        if i == 0 and folded in _WELSH_GENERIC_AFTER_YSGOL - _WELSH_PREFIX_WORDS:
            return None
        if folded in _WELSH_NAME_LINKS or folded in _WELSH_PREFIX_WORDS:
            continue
        if folded in welsh_words or folded in COMMON_WORDS or content == 3:
            break
        content += 1
        end = word.end()
    return end if content else None


def _find_welsh(text: str) -> Iterator[Span]:
    for match in _WELSH_SCHOOL_RE.finditer(text):
        capitalised = match.group("ysgol")[0].isupper()
        if not capitalised and _preceding_word(text, match.start()) not in _WELSH_PREPOSITIONS:
            continue
        end = _welsh_school_end(text, match)
        if end is not None:
            yield Span("school_name", match.start(), end)


# Polish, Romanian and Somali school words, then the name (capitalised words).
_FOREIGN_SCHOOL_RE = re.compile(
    r"\b(?:Szko[lł][aąeęy]|Szkole|[SȘŞ]coal[aă]|[SȘŞ]colii|Liceul|Colegiul|Dugsiga)\s+"
    r"(?:(?:[Pp]odstawow[aąeiy]|[Ss]obotni[aąeiy]|[Pp]olsk[aąeiy]|[Śś]redni[aąeiy]|"
    r"[Gg]imnazial[aă]|[Gg]eneral[aă]|[Pp]rimar[aă]|[Nn]a[tț]ional|[Nn]r\.?\s*\d+)\s+)*"
    r"(?:[A-ZĄĆĘŁŃÓŚŹŻĂÂÎȘȚ][\w'\u2019-]*|[Nn]r\.?\s*\d+)"
    r"(?:\s+(?:[A-ZĄĆĘŁŃÓŚŹŻĂÂÎȘȚ][\w'\u2019-]*|[Nn]r\.?\s*\d+)){0,3}"
)


# Cheap hint: most entries name no kind of school at all.
_SCHOOL_HINT_RE = re.compile(
    r"primary|high|academy|college|grammar|junior|infant|pru\b|school|comprehensive|sixth|"
    r"ysgol|szko|coal|colii|liceul|colegiul|dugsi|\bC of E\b|\bCofE\b|\bR\.?C\.?\b|\bC\.E\.",
    re.IGNORECASE,
)


def find_school_names_by_pattern(text: str) -> Iterator[Span]:
    if _SCHOOL_HINT_RE.search(text) is None:
        return
    yield from _find_capitalised(text)
    yield from _find_any_case(text)
    yield from _find_welsh(text)
    for match in _FOREIGN_SCHOOL_RE.finditer(text):
        yield Span("school_name", match.start(), match.end())


# --- area gazetteers ---------------------------------------------------------------------


def _gazetteer_token_pattern(token: str) -> str:
    folded = token.casefold().rstrip(".")
    if folded in ("st", "saint"):
        return r"(?:st\.?|saint)"
    bare = token.replace("'", "").replace("\u2019", "")
    if len(bare) > 2 and bare.casefold().endswith("s"):
        # "St Anselm's" == "St Anselms"
        return re.escape(bare[:-1]) + r"['\u2019]?s"
    return re.escape(bare)


def _gazetteer_pattern(name: str, *, school: bool) -> str | None:
    tokens = name.split()
    if not tokens:
        return None
    folded = [t.casefold() for t in tokens]
    optional_tail = ""
    if (
        school
        and len(tokens) >= 2
        and folded[-1] == "school"
        and folded[-2]
        in ("high", "primary", "secondary", "junior", "infant", "grammar", "comprehensive")
    ):
        tokens, optional_tail = tokens[:-1], r"(?:\s+school)?"
    elif school and folded[-1] in ("high", "primary"):
        optional_tail = r"(?:\s+school)?"
    body = r"[\s-]+".join(_gazetteer_token_pattern(t) for t in tokens)
    return rf"(?<!\w){body}{optional_tail}(?!\w)"


@lru_cache(maxsize=64)
def _compile_gazetteer(names: tuple[str, ...], school: bool) -> re.Pattern[str] | None:
    patterns = [p for p in (_gazetteer_pattern(n, school=school) for n in names) if p]
    if not patterns:
        return None
    # Longest names first so "St Mary's High School" wins over "St Mary's High".
    patterns.sort(key=len, reverse=True)
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def find_gazetteer_matches(
    text: str, names: Sequence[str], *, school: bool
) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of a gazetteer name, in any case."""
    pattern = _compile_gazetteer(tuple(n.strip() for n in names if n.strip()), school)
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(text)]
