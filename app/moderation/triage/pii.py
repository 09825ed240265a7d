"""Personal-detail detection for Safety Map entries.

Every detector below proposes candidate spans; ``find_personal_details`` then keeps
the longest candidate wherever two overlap (a house number + street beats a first
name inside it, an e-mail beats the domain inside it).

Person names use rules plus hand-curated gazetteers (``data/*.txt``): titles
("Mrs Okafor"), cues ("my friend Amir", "a lad called Kyle Ashby") and known first
names with an optional surname. Words that only look like names -- streets, towns,
months, brands, ordinary words -- are filtered out. Everything is precompiled at
import; the only I/O is reading the packaged word lists once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import phonenumbers

PII_KINDS = (
    "phone",
    "email",
    "postcode",
    "street_address",
    "vehicle_reg",
    "social_handle",
    "url",
    "person_name",
    "school_name",
)


@dataclass(frozen=True)
class Span:
    kind: str  # one of PII_KINDS
    start: int  # character offsets into the original text, end exclusive
    end: int

    def __post_init__(self) -> None:
        if self.kind not in PII_KINDS:
            raise ValueError(f"unknown personal-detail kind: {self.kind!r}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"invalid span offsets: {self.start}..{self.end}")


# ---------------------------------------------------------------------------
# Packaged word lists
# ---------------------------------------------------------------------------

_DATA_PACKAGE = "app.moderation.triage"


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated word list written compactly in source."""
    return tuple(text.split())


def _read_word_list(filename: str) -> frozenset[str]:
    """Whitespace-separated, case-folded words; '#' starts a comment."""
    raw = resources.files(_DATA_PACKAGE).joinpath("data", filename).read_text("utf-8")
    words: set[str] = set()
    for line in raw.splitlines():
        words.update(word.casefold() for word in line.split("#", 1)[0].split())
    return frozenset(words)


_AMBIGUOUS_FIRST_NAMES = _read_word_list("ambiguous_first_names.txt")
_FIRST_NAMES = _read_word_list("first_names.txt") - _AMBIGUOUS_FIRST_NAMES
_SURNAMES = _read_word_list("surnames.txt")
_COMMON_WORDS = _read_word_list("common_words.txt")
_NOT_NAMES = _read_word_list("not_names.txt")
_UK_PLACES = _read_word_list("uk_places.txt")
_LOWERCASE_WORD_NAMES = _read_word_list("lowercase_word_names.txt")

# Street types used after the street name (English) and before it (Welsh).
_STREET_SUFFIXES = _words(
    "road rd street st lane ln close avenue ave drive dr way court ct gardens gdns terrace tce "
    "crescent cres place pl grove hill row parade square sq walk mews rise view green park vale "
    "wharf yard mount bank brow fold gate croft meadow meadows chase heights boulevard embankment "
    "esplanade promenade quay circus wynd approach hollow passage path broadway villas cottages "
    "buildings"
)
_WELSH_STREET_PREFIXES = _words(
    "heol ffordd stryd lôn lon rhodfa cilgant teras clos maes llwyn cwrt sgwâr rhes"
)

# Nouns that turn a preceding capitalised word into a place ("Victoria Park").
_PLACE_NOUNS = frozenset(
    (
        *_STREET_SUFFIXES,
        *_words(
            "school primary academy college high centre center station library church hall "
            "house estate rec leisure hospital surgery stadium bridge market arms inn hotel "
            "shopping retail common woods wood forest valley bay beach pier cemetery chapel "
            "mosque temple gurdwara tower towers flats heath moor field fields playing garage "
            "shop shops club gym pool baths lido cinema theatre museum gallery river canal brook "
            "reservoir lake marina fc city united county town village island zoo"
        ),
    )
)

# Words before a capitalised word that make it part of a place or school name.
_PLACE_PREFIXES = frozenset(
    _words(
        "st st. saint ysgol heol stryd ffordd lôn lon port fort upper lower north south east west "
        "new old great little"
    )
)
_LOCATIVE_PREPOSITIONS = frozenset(
    _words("in to from near around round outside through via towards into at of")
)

_TITLES = frozenset(
    _words(
        "mr mrs ms miss mx dr prof rev revd sir dame lady lord pc dc sgt insp cllr councillor "
        "coach imam pastor"
    )
)

# Nouns for people; a name straight after one of these is taken even if unknown
# ("my friend Amir", "the owner Paul", "this guy Reece").
_PERSON_CUES = frozenset(
    _words(
        "friend mate bestie bff pal brother bro sister sis cousin cuz son daughter boyfriend "
        "girlfriend bf gf ex neighbour neighbor uncle auntie aunty aunt nan grandad stepdad "
        "step-dad stepmum step-mum stepbrother stepsister teacher worker coach marshal warden "
        "manager owner officer carer mentor tutor lad guy girl boy man woman bloke fella kid "
        "person dealer driver landlord called named aka mum dad partner husband wife chair "
        "leader volunteer head headteacher nephew niece"
    )
)

_NAME_PARTICLES = frozenset(
    ["van", "von", "de", "da", "di", "du", "le", "la", "ap", "ab", "bin", "bint", "ibn", "al", "el"]
)

# ---------------------------------------------------------------------------
# Regular expressions (compiled once)
# ---------------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

_URL_TAIL = r"[^\s<>\"'()\[\]{}]*"
_TLDS = (
    r"(?:co\.uk|org\.uk|gov\.uk|ac\.uk|nhs\.uk|sch\.uk|police\.uk|ltd\.uk|com|org|net|uk|io|me|ly|"
    r"info|app|tv|gg|link|biz|xyz|co|cymru|wales|online|site|page)"
)
_URL_RE = re.compile(
    rf"(?:\bhttps?://{_URL_TAIL}|\bwww\.{_URL_TAIL}"
    rf"|(?<![\w@.-])[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.{_TLDS}\b(?:/{_URL_TAIL})?)",
    re.IGNORECASE,
)

# Inward code letters never include C, I, K, M, O or V.
_POSTCODE_RE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
# Real postcode areas: an outward code alone is only flagged in postcode-like context.
_POSTCODE_AREAS = _words(
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY "
    "E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE "
    "LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL "
    "SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE"
)
_OUTWARD = rf"(?:{'|'.join(sorted(_POSTCODE_AREAS, key=len, reverse=True))})[0-9][0-9A-Z]?"
_OUTWARD_RE = re.compile(
    rf"(?:\b(?:post ?code|postal code)(?:\s+(?:is|was))?\s*[:\-]?\s*|\b(?:in|round|around|near|"
    rf"from|of)\s+)"
    rf"(?P<code>{_OUTWARD})\b"
    rf"|\b(?P<code2>{_OUTWARD})\s+(?:area|postcode|district)\b"
)

_ADDRESS_STOPWORDS = _words(
    "the a an to of on at in and or by from for with into onto over under about around near past "
    "my his her their our your its this that these those some any every each no not is are was "
    "were be been times time people years year olds minutes mins hours hrs days weeks months quid "
    "pounds pence percent kids lads men women cars buses more less other than then just only also "
    "very really"
)
_ADDRESS_WORD = rf"(?!(?:{'|'.join(_ADDRESS_STOPWORDS)})\b)[^\W\d_][\w'\u2019.-]*"
_STREET_SUFFIX_ALT = "|".join(sorted(_STREET_SUFFIXES, key=len, reverse=True))
_WELSH_PREFIX_ALT = "|".join(_WELSH_STREET_PREFIXES)
_HOUSE_NUMBER = (
    r"(?:(?:flat|apartment|apt|unit|fflat)\s*\d{1,4}[a-z]?,?\s+)?"
    r"\d{1,4}[a-z]?(?:\s*-\s*\d{1,4}[a-z]?)?,?\s+"
)
_ADDRESS_RE = re.compile(
    rf"\b{_HOUSE_NUMBER}(?:"
    rf"(?:{_ADDRESS_WORD}\s+){{1,3}}(?:{_STREET_SUFFIX_ALT})\b\.?"
    rf"|(?:{_WELSH_PREFIX_ALT})\s+(?:(?:y|yr)\s+)?{_ADDRESS_WORD}(?:\s+(?-i:[A-Z])[\w'\u2019-]*)?"
    r")",
    re.IGNORECASE,
)

_REG_CURRENT = r"[A-Z]{2}[0-9]{2} ?[A-Z]{3}"
_REG_PREFIX = r"[A-HJ-NPR-Y][0-9]{1,3} ?[A-Z]{3}"
_REG_SUFFIX = r"[A-Z]{3} ?[0-9]{1,3}[A-HJ-NPR-Y]"
_VEHICLE_RE = re.compile(rf"\b(?:{_REG_CURRENT}|{_REG_PREFIX}|{_REG_SUFFIX})\b")
# After "reg"/"number plate" any letter+digit plate shape counts, in any case.
_VEHICLE_CONTEXT_RE = re.compile(
    r"\b(?:reg(?:istration)?|number ?plate|plate|reg (?:number|no\.?))\b"
    r"(?:\s+(?:is|was|number|no\.?))?\s*[:\-]?\s*"
    r"(?P<plate>(?=[A-Z0-9 ]{0,8}[0-9])(?=[A-Z0-9 ]{0,8}[A-Z])[A-Z0-9]{2,4} ?[A-Z0-9]{1,4})\b",
    re.IGNORECASE,
)

_HANDLE_CHARS = r"[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?"
_AT_HANDLE_RE = re.compile(rf"(?<![\w@.]){'@'}{_HANDLE_CHARS}")
_PLATFORMS = (
    r"(?:snap(?:chat)?|insta(?:gram)?|tik ?tok|twitter|discord|telegram|kik|threads|facebook|"
    r"psn|xbox|gamertag|yubo|bereal|sc|ig|tt|fb)"
)
# "snap is xyz", "insta: xyz", "add me on tiktok xyz", "his snap's xyz"
_PLATFORM_HANDLE_RE = re.compile(
    rf"\b(?P<platform>{_PLATFORMS})(?:\s+(?:name|username|user|handle|account|id|tag))?"
    rf"(?P<link>\s*(?:'s|\u2019s|\bis\b|\bwas\b|=|:|-)\s*|\s+)@?(?P<handle>{_HANDLE_CHARS})",
    re.IGNORECASE,
)
_ADD_ME_RE = re.compile(
    rf"\badd (?:me|him|her|them) on\s+{_PLATFORMS}\s*[:\-]?\s*@?(?P<handle>{_HANDLE_CHARS})",
    re.IGNORECASE,
)
# "xyz_09 on snap"
_HANDLE_ON_PLATFORM_RE = re.compile(
    rf"(?<![\w@.])(?P<handle>{_HANDLE_CHARS})\s+on\s+(?:snap(?:chat)?|insta(?:gram)?|tik ?tok|"
    rf"discord|twitter)\b",
    re.IGNORECASE,
)

_SCHOOL_TYPES = (
    r"(?:Primary School|Primary Academy|Primary|Junior School|Juniors|Junior|Infant School|Infants|"
    r"High School|High|Secondary School|Academy|College|Grammar School|Grammar|"
    r"Comprehensive School|Comprehensive|Sixth Form College|Sixth Form|School|Prep School)"
)
_SCHOOL_DENOMINATION = (
    r"(?:RC|R\.C\.|CE|C of E|CofE|Catholic|Church of England|Methodist|Islamic|Jewish|Community)"
)
_SCHOOL_RE = re.compile(
    rf"\b(?P<name>(?:(?:St\.?|Saint|[A-Z][\w'\u2019-]*)\s+(?:(?:of|the|and|&)\s+)?){{1,4}})"
    rf"(?:{_SCHOOL_DENOMINATION}\s+)?(?P<type>{_SCHOOL_TYPES})\b(?!\s+(?:Street|St|Road|Rd|Lane)\b)"
)
_WELSH_SCHOOL_RE = re.compile(
    r"\bYsgol\s+(?:(?:Gyfun|Gynradd|Uwchradd|Gymraeg|Bro|Glan|y|yr|Y|Yr)\s+)*"
    r"[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,2}"
)
_GENERIC_SCHOOL_WORDS = frozenset(
    _words(
        "the my our a his her their your local new old secondary primary high sunday driving "
        "dance night summer forest boarding special private state holiday language art music "
        "drama football swimming riding flying nursery grammar catholic welsh english this that "
        "every big main lower upper middle senior junior infant after before back free community "
        "sixth form st saint"
    )
)

_WORD_RE = re.compile(r"[^\W\d_][\w'\u2019-]*")
# A word with any possessive ('s) or trailing apostrophe/hyphen split off.
_TOKEN_RE = re.compile(
    r"([^\W\d_](?:[\w'\u2019-]*?[^\W_])?)(?:['\u2019]s|['\u2019-]+)?(?![\w'\u2019-])"
)
_SENTENCE_END_RE = re.compile(r"[.!?\n]")
_POSSESSIVE_RE = re.compile(r"['\u2019]s$")

# Cheap C-level hints: most entries contain none of these, so the detector can be skipped.
_PHONE_HINT_RE = re.compile(r"\d(?:[\s().+-]{0,3}\d){9}")
_URL_HINT_RE = re.compile(rf"https?:|www\.|\.{_TLDS}\b", re.IGNORECASE)
_LETTER_DIGIT_RE = re.compile(r"[A-Za-z]\d|\d[A-Za-z]")
_LETTER_RE = re.compile(r"[^\W\d_]")
_UPPER_RE = re.compile(r"[A-Z]")
_VEHICLE_HINT_RE = re.compile(r"reg|plate", re.IGNORECASE)
_PLATFORM_HINT_RE = re.compile(rf"\b{_PLATFORMS}\b", re.IGNORECASE)

# Longest candidate wins an overlap; on equal length the earlier kind here wins.
_KIND_PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        (
            "email",
            "url",
            "phone",
            "postcode",
            "street_address",
            "vehicle_reg",
            "social_handle",
            "school_name",
            "person_name",
        )
    )
}

# ---------------------------------------------------------------------------
# Individual detectors
# ---------------------------------------------------------------------------


def _find_phones(text: str) -> Iterator[Span]:
    if _PHONE_HINT_RE.search(text) is None:
        return
    matcher = phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        # POSSIBLE leniency also accepts fictional Ofcom drama numbers (07700 900xxx);
        # the digit count rules out years, prices and bus numbers it would also accept.
        if sum(ch.isdigit() for ch in match.raw_string) >= 10:
            yield Span("phone", match.start, match.end)


def _find_emails(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for match in _EMAIL_RE.finditer(text):
        yield Span("email", match.start(), match.end())


def _strip_trailing_punctuation(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in ".,;:!?'\"\u2019)":
        end -= 1
    return end


def _find_urls(text: str) -> Iterator[Span]:
    if _URL_HINT_RE.search(text) is None:
        return
    for match in _URL_RE.finditer(text):
        end = _strip_trailing_punctuation(text, match.start(), match.end())
        if end > match.start():
            yield Span("url", match.start(), end)


def _has_uniform_case(token: str) -> bool:
    letters = [ch for ch in token if ch.isalpha()]
    return all(ch.isupper() for ch in letters) or all(ch.islower() for ch in letters)


def _find_postcodes(text: str) -> Iterator[Span]:
    if _LETTER_DIGIT_RE.search(text) is None:
        return
    for match in _POSTCODE_RE.finditer(text):
        if _has_uniform_case(match.group()):
            yield Span("postcode", match.start(), match.end())
    for match in _OUTWARD_RE.finditer(text):
        group = "code" if match.group("code") else "code2"
        yield Span("postcode", match.start(group), match.end(group))


def _find_street_addresses(text: str) -> Iterator[Span]:
    for match in _ADDRESS_RE.finditer(text):
        end = _strip_trailing_punctuation(text, match.start(), match.end())
        yield Span("street_address", match.start(), end)


def _is_shouting(text: str) -> bool:
    letters = len(_LETTER_RE.findall(text))
    return letters > 20 and len(_UPPER_RE.findall(text)) > 0.6 * letters


def _find_vehicle_regs(text: str) -> Iterator[Span]:
    if _LETTER_DIGIT_RE.search(text) is None and _VEHICLE_HINT_RE.search(text) is None:
        return
    # In all-caps text almost any word+number looks like a plate, so rely on context only.
    if not _is_shouting(text):
        for match in _VEHICLE_RE.finditer(text):
            yield Span("vehicle_reg", match.start(), match.end())
    for match in _VEHICLE_CONTEXT_RE.finditer(text):
        yield Span("vehicle_reg", match.start("plate"), match.end("plate"))


def _looks_like_handle(handle: str) -> bool:
    """Usernames usually carry a digit, underscore or dot; plain words need a stronger cue."""
    return any(ch.isdigit() or ch in "_." for ch in handle)


def _is_plain_word(word: str) -> bool:
    folded = word.casefold()
    return folded in _COMMON_WORDS or folded in _NOT_NAMES


def _find_social_handles(text: str) -> Iterator[Span]:
    if "@" not in text and _PLATFORM_HINT_RE.search(text) is None:
        return
    for match in _AT_HANDLE_RE.finditer(text):
        yield Span("social_handle", match.start(), match.end())
    for match in _PLATFORM_HANDLE_RE.finditer(text):
        handle = match.group("handle")
        link = match.group("link").strip()
        short_platform = len(match.group("platform")) <= 2
        # "sc xyz" is too weak; "snap is down" is not a username.
        if short_platform and not link:
            continue
        if _is_plain_word(handle) or len(handle) < 3:
            continue
        # "snap is xyz" takes plain words that are not vocabulary; bare "snap xyz" does not.
        if not link and not _looks_like_handle(handle):
            continue
        if handle.casefold().endswith("ly"):
            continue
        yield Span("social_handle", match.start("handle"), match.end("handle"))
    for match in _ADD_ME_RE.finditer(text):
        if not _is_plain_word(match.group("handle")):
            yield Span("social_handle", match.start("handle"), match.end("handle"))
    for match in _HANDLE_ON_PLATFORM_RE.finditer(text):
        if _looks_like_handle(match.group("handle")):
            yield Span("social_handle", match.start("handle"), match.end("handle"))


def _is_specific_school_name(name_part: str) -> bool:
    words = [_POSSESSIVE_RE.sub("", w.casefold()) for w in name_part.split()]
    return any(w not in _GENERIC_SCHOOL_WORDS and w not in _COMMON_WORDS for w in words)


def _find_school_names_by_pattern(text: str) -> Iterator[Span]:
    for match in _SCHOOL_RE.finditer(text):
        name_part = match.group("name")
        # Drop leading generic words such as "The" or "My" from the span.
        words = list(_WORD_RE.finditer(name_part))
        start = match.start("name")
        for word in words:
            if word.group().casefold() in _GENERIC_SCHOOL_WORDS - {"st", "saint"}:
                start = match.start("name") + word.end()
                while start < match.end() and text[start].isspace():
                    start += 1
            else:
                break
        if _is_specific_school_name(text[start : match.start("type")]):
            yield Span("school_name", start, match.end())
    for match in _WELSH_SCHOOL_RE.finditer(text):
        yield Span("school_name", match.start(), match.end())


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


def _find_gazetteer_matches(
    text: str, names: Sequence[str], *, school: bool
) -> list[tuple[int, int]]:
    pattern = _compile_gazetteer(tuple(n.strip() for n in names if n.strip()), school)
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


# --- person names ----------------------------------------------------------


class _Token:
    """One word; plain slots class because thousands are made per call."""

    __slots__ = ("end", "folded", "is_capitalised", "sentence_start", "start", "text")

    def __init__(self, text: str, start: int, end: int, *, sentence_start: bool) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.folded = text.casefold()
        self.is_capitalised = text[0].isupper()
        self.sentence_start = sentence_start


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous_end = 0
    for match in _TOKEN_RE.finditer(text):
        word_start, word_end = match.span(1)
        gap_is_space = match.start() - previous_end == 1 and text[previous_end] == " "
        sentence_start = not tokens or (
            not gap_is_space
            and _SENTENCE_END_RE.search(text, previous_end, match.start()) is not None
        )
        tokens.append(_Token(match.group(1), word_start, word_end, sentence_start=sentence_start))
        previous_end = match.end()
    return tokens


def _name_key(token: _Token) -> str:
    # "Lily-Mae" is looked up whole, then by its first part.
    folded = token.folded
    if folded in _FIRST_NAMES or folded in _AMBIGUOUS_FIRST_NAMES:
        return folded
    return folded.split("-", 1)[0]


def _is_known_first_name(token: _Token) -> bool:
    return _name_key(token) in _FIRST_NAMES


def _is_ambiguous_first_name(token: _Token) -> bool:
    return _name_key(token) in _AMBIGUOUS_FIRST_NAMES


def _is_name_like(token: _Token) -> bool:
    """A capitalised word that could be someone's (sur)name: not a common word or place noun."""
    folded = token.folded
    return (
        token.is_capitalised
        and len(token.text) >= 2
        and folded not in _COMMON_WORDS
        and folded not in _NOT_NAMES
        and folded not in _PLACE_NOUNS
        and folded not in _TITLES
    )


def _only_space_between(text: str, left: _Token, right: _Token) -> bool:
    gap = text[left.end : right.start]
    return gap in (" ", "  ") or gap == ""


def _is_place_context(tokens: list[_Token], index: int, text: str) -> bool:
    token = tokens[index]
    nxt = tokens[index + 1] if index + 1 < len(tokens) else None
    prev = tokens[index - 1] if index > 0 else None
    # "Ruby Walk" is a street, "Ruby walk(s) that way" is not.
    if (
        nxt
        and _only_space_between(text, token, nxt)
        and nxt.folded in _PLACE_NOUNS
        and (nxt.is_capitalised or not token.is_capitalised)
    ):
        return True
    if (
        prev
        and _only_space_between(text, prev, token)
        and prev.folded in _PLACE_PREFIXES
        and prev.is_capitalised
    ):
        return True
    return bool(prev and prev.folded in _LOCATIVE_PREPOSITIONS and token.folded in _UK_PLACES)


def _extend_with_surnames(
    tokens: list[_Token], index: int, text: str, *, max_extra: int = 2
) -> int:
    """Index of the last token of a name starting at ``index`` (surnames, particles)."""
    last = index
    taken = 0
    i = index + 1
    while (
        i < len(tokens)
        and taken < max_extra
        and _only_space_between(text, tokens[i - 1], tokens[i])
    ):
        token = tokens[i]
        if token.folded in _NAME_PARTICLES and i + 1 < len(tokens) and tokens[i + 1].is_capitalised:
            i += 1
            continue
        is_surname = token.is_capitalised and (token.folded in _SURNAMES or _is_name_like(token))
        if not is_surname or _is_place_context(tokens, i, text):
            break
        last, taken, i = i, taken + 1, i + 1
    return last


def _extend_lowercase_surname(tokens: list[_Token], index: int, text: str) -> int:
    """'kyle ashby' -> include a following lower-case word only if it is a known surname."""
    nxt = index + 1
    if nxt < len(tokens) and _only_space_between(text, tokens[index], tokens[nxt]):
        candidate = tokens[nxt]
        if (
            not candidate.is_capitalised
            and candidate.folded in _SURNAMES
            and candidate.folded not in _COMMON_WORDS
        ):
            return nxt
    return index


def _has_surname_from_list(tokens: list[_Token], index: int, text: str) -> bool:
    if index + 1 >= len(tokens):
        return False
    nxt = tokens[index + 1]
    return (
        _only_space_between(text, tokens[index], nxt)
        and nxt.is_capitalised
        and nxt.folded in _SURNAMES
        and not _is_place_context(tokens, index + 1, text)
    )


def _follows_person_cue(tokens: list[_Token], index: int, text: str) -> bool:
    """'my friend X', 'a lad called X', 'her name is X', 'the bus marshal, X'."""
    if index == 0:
        return False
    prev = tokens[index - 1]
    gap = text[prev.end : tokens[index].start]
    if gap.strip() not in ("", ",", ":"):
        return False
    if prev.folded in _PERSON_CUES or prev.folded in ("name's", "names", "name\u2019s"):
        return True
    return index >= 2 and prev.folded in ("is", "was") and tokens[index - 2].folded == "name"


_I_FORMS = frozenset(
    ("i", "i'm", "i\u2019m", "i'll", "i\u2019ll", "i've", "i\u2019ve", "i'd", "i\u2019d")
)


# Distinctively Welsh function words. Welsh text is excluded from lower-case name
# spotting because many short Welsh words are also names ("tu allan", "o dan", "ei ben").
_WELSH_MARKERS = frozenset(
    _words(
        "mae maen yn yr ac dw dwi wedi fy nhw ddim gyda iawn mewn achos roedd oedd ond hefyd "
        "ein eich chi ni fi tu allan bod ydy ydw sydd hwn hon rhaid gallu eisiau isio"
    )
)


def _looks_welsh(tokens: list[_Token]) -> bool:
    return len({t.folded for t in tokens} & _WELSH_MARKERS) >= 2


def _writes_in_lower_case(text: str, tokens: list[_Token]) -> bool:
    """True when no word is capitalised mid-sentence: the writer does not capitalise names."""
    if _looks_welsh(tokens):
        return False
    return not any(
        t.is_capitalised and t.folded not in _I_FORMS and not t.sentence_start for t in tokens
    )


def _is_lowercase_chat_name(token: _Token) -> bool:
    return (
        not token.is_capitalised
        and _is_known_first_name(token)
        and token.folded not in _COMMON_WORDS
        and token.folded not in _LOWERCASE_WORD_NAMES
    )


def _person_name_start(
    tokens: list[_Token], index: int, text: str, *, lower_case_text: bool
) -> bool:
    """Decide whether a name starts at ``tokens[index]``."""
    token = tokens[index]
    if token.folded in _NOT_NAMES:
        return False
    if _follows_person_cue(tokens, index, text):
        if token.is_capitalised:
            candidate = (
                _is_name_like(token)
                or _is_known_first_name(token)
                or _is_ambiguous_first_name(token)
            )
        else:
            # lower-case chat: "my mate keisha" only for names we know
            candidate = _is_known_first_name(token) and token.folded not in _COMMON_WORDS
    elif not token.is_capitalised:
        candidate = lower_case_text and _is_lowercase_chat_name(token)
    elif _is_known_first_name(token) and token.folded not in _COMMON_WORDS:
        candidate = True
    else:
        # "Will Smith" is a name, "Will you fix it" is not.
        candidate = _is_ambiguous_first_name(token) and _has_surname_from_list(tokens, index, text)
    return candidate and not _is_place_context(tokens, index, text)


def _find_person_names(text: str) -> Iterator[Span]:
    tokens = _tokenise(text)
    lower_case_text = _writes_in_lower_case(text, tokens)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        # Title + name: "Mrs Okafor", "Dr. Kaur"
        if (
            token.is_capitalised
            and token.folded.rstrip(".") in _TITLES
            and nxt is not None
            and text[token.end : nxt.start].strip() in ("", ".")
            and nxt.is_capitalised
            and (_is_name_like(nxt) or nxt.folded in _SURNAMES or _is_known_first_name(nxt))
            and not _is_place_context(tokens, i + 1, text)
        ):
            last = _extend_with_surnames(tokens, i + 1, text)
            yield Span("person_name", token.start, tokens[last].end)
            i = last + 1
            continue
        if _person_name_start(tokens, i, text, lower_case_text=lower_case_text):
            last = (
                _extend_with_surnames(tokens, i, text)
                if token.is_capitalised
                else _extend_lowercase_surname(tokens, i, text)
            )
            yield Span("person_name", token.start, tokens[last].end)
            i = last + 1
            continue
        i += 1


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------


def _overlaps_any(span: Span, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(span.start < end and start < span.end for start, end in ranges)


def _choose_non_overlapping(candidates: Sequence[Span]) -> list[Span]:
    ordered = sorted(
        set(candidates), key=lambda s: (-(s.end - s.start), _KIND_PRIORITY[s.kind], s.start)
    )
    chosen: list[Span] = []
    for span in ordered:
        if not any(span.start < other.end and other.start < span.end for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def find_personal_details(
    text: str, *, school_names: Sequence[str] = (), place_names: Sequence[str] = ()
) -> list[Span]:
    """Personal details in ``text`` as sorted, non-overlapping spans."""
    if isinstance(school_names, str) or isinstance(place_names, str):
        raise TypeError("school_names and place_names must be sequences of names, not a string")
    candidates: list[Span] = []
    candidates.extend(_find_emails(text))
    candidates.extend(_find_urls(text))
    candidates.extend(_find_phones(text))
    candidates.extend(_find_postcodes(text))
    candidates.extend(_find_street_addresses(text))
    candidates.extend(_find_vehicle_regs(text))
    candidates.extend(_find_social_handles(text))
    candidates.extend(
        Span("school_name", s, e)
        for s, e in _find_gazetteer_matches(text, school_names, school=True)
    )
    candidates.extend(_find_school_names_by_pattern(text))

    places = _find_gazetteer_matches(text, place_names, school=False)
    candidates.extend(span for span in _find_person_names(text) if not _overlaps_any(span, places))
    return _choose_non_overlapping(candidates)
