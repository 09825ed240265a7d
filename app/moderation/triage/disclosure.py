"""Urgent safeguarding disclosure detection (English and Welsh).

Design, in one paragraph: an entry is urgent when it discloses that a *specific,
current* child or young person is being harmed, exploited, threatened, is at risk of
self-harm, or is in danger now. The text is normalised (lower case, chat spellings
expanded), figures of speech are blanked out ("I'd die for their wings"), and then
named cue groups are matched (the lexicon: ``data/disclosure_cues.toml``, read by
``lexicon.py``; the literal prefilter that skips most regex work is ``prefilter.py``).
Each cue carries a weight:

* ``STRONG`` (3) cues name the harm *and* the person in one phrase
  ("I owe him", "kill myself", "made my brother hold", "if I tell anyone").
  One unguarded strong cue makes an entry urgent.
* ``MODERATE`` (2) and ``WEAK`` (1) cues are indicators ("gives her vapes",
  "older men", "right now", "please help"). They add up; a total of 3 makes an
  entry urgent when the text refers to a specific person (I/me/my friend/a girl in
  year 8/she's 14).

Two modifiers add 1 each once the cues reach 2 points: a stated minor age
("I'm 13", "(12)", "year 8") and an age gap (a minor and an adult in the same text).
Guards drop a cue when it is negated just before ("he doesn't hit me") or when it sits
in a sentence that reports a past, resolved incident ("last year ..., I'm fine now").

``explain_disclosure`` returns the full evidence so a moderator can see why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from app.moderation.triage.lexicon import (
    MODERATE,
    REASON_ORDER,
    STRONG,
    WEAK,
    CueGroup,
    all_triggers,
    cue_groups,
)
from app.moderation.triage.prefilter import TextIndex

__all__ = ["MODERATE", "REASON_ORDER", "STRONG", "WEAK", "CueHit", "DisclosureAssessment", "detect_disclosure", "explain_disclosure"]

URGENT_THRESHOLD = 3


@dataclass(frozen=True)
class CueHit:
    reason: str
    weight: int
    matched: str  # the normalised text that matched, for explanation


@dataclass(frozen=True)
class DisclosureAssessment:
    urgent: bool
    reasons: tuple[str, ...]
    score: int
    hits: tuple[CueHit, ...]
    minor_age: bool
    age_gap: bool
    specific_person: bool


# --- normalisation --------------------------------------------------------------

_CHAT_SPELLINGS = {
    "im": "i'm",
    "ive": "i've",
    "dont": "don't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "cant": "can't",
    "wont": "won't",
    "isnt": "isn't",
    "hasnt": "hasn't",
    "havent": "haven't",
    "wasnt": "wasn't",
    "theyll": "they'll",
    "theyre": "they're",
    "hes": "he's",
    "shes": "she's",
    "ur": "your",
    "wanna": "want to",
    "gonna": "going to",
    "gna": "going to",
    "gotta": "got to",
    "tryna": "trying to",
    "bangin": "banging",
    "sayin": "saying",
    "plz": "please",
    "pls": "please",
    "rn": "right now",
    "atm": "at the moment",
    "b4": "before",
    "tonite": "tonight",
    "2nite": "tonight",
    "2day": "today",
    "m8": "mate",
    "m8s": "mates",
    "bc": "because",
    "cos": "because",
    "coz": "because",
    "yr": "year",
    "kms": "kill myself",
    "unalive": "kill",
    "feds": "police",
    "dwi'n": "dw i'n",
}
_CHAT_WORD_RE = re.compile(
    r"\b(?:"
    + "|".join(sorted(map(re.escape, _CHAT_SPELLINGS), key=len, reverse=True))
    + r")(?![\w'])"
)
# One-letter chat words ("me n my mate", "u ok") only between spaces, so "o'n" stays Welsh.
_ONE_LETTER_WORDS = ((" n ", " and "), (" u ", " you "))
# Dropped g's on verbs that matter here: "cuttin", "bangin'", "followin".
_DROPPED_G_RE = re.compile(
    r"\b(cutt|hitt|beat|hurt|follow|threaten|say|bang|kick|punch|chas|watch|sell|hold|carry|deal|"
    r"messag|"
    r"groom|touch|harm|kill|stabb|wait|runn|gett|tak|mak|tell|ask|send|stay|com|go|do|try|lock|"
    r"hid|starv)in'?(?!\w)"
)
# Curly quotes become straight ones; double quotes become spaces.
_QUOTE_TABLE = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u00b4": "'", "\u201c": " ", "\u201d": " ", '"': " "}
)
_SCARE_QUOTE_RE = re.compile(r"(?<![a-zà-ÿŵŷ])'|'(?![a-zà-ÿŵŷ])")

# Figures of speech are blanked before cue matching.
_FIGURATIVE_RE = re.compile(
    r"\b(?:"
    r"(?:kill|murder|die) for (?:a|an|some|their|the|his|her|my|one)"
    r"|to die for"
    r"|killer"
    r"|death ?trap"
    r"|(?:murdering|killing|murdered|killed) (?:us|them|it)(?!\w)"
    r"|could murder"
    r"|kill(?:ing|ed)? (?:it|time)(?!\w)"
    r"|(?:died|dying|die|dead|kill(?:ing|ed)? (?:my ?self|me)) (?:of |from )?(?:laughing|laughter|"
    r"of embarrassment|of boredom|of hunger)"
    r"|dead (?:good|funny|nice|easy|busy|quiet)"
    r"|bron (?:â|a) marw|marw (?:eisiau|isio|chwerthin|o (?:gywilydd|syched|eisiau bwyd))"
    r")"
)

# "My mum's going to kill me if she finds out" is nearly always hyperbole, but a parent
# threatening a child is not; the phrase becomes a weak threat cue instead of vanishing.
_PARENT_HYPERBOLE_RE = re.compile(
    r"\b(?:mum|mam|mom|dad|nan|gran|parents|teacher|coach|brother|sister)(?!'s (?:boyfriend|"
    r"partner|husband|girlfriend|mate|friend))"
    r"(?: (?:always|literally|actually|honestly|seriously|probably|definitely|proper))?(?:'s|'ll|"
    r" is| are| would| will| said| says)?"
    r"(?: (?:she|he|they)(?:'d|'ll| would| will))?(?: (?:going to|literally|actually))* (?:kill|"
    r"murder) (?:me|her|him|us)\b"
    r"|\b(?:mam|mami|nhad|dad|tad|nain|mamgu)\b(?: \w+){0,4} (?:fy|ein|ei) lladd\b"
)

_SENTENCE_SPLIT_RE = re.compile(r"[^.!?\n]+[.!?\n]*")
_HISTORIC_RE = re.compile(
    r"\b(?:years? ago|last year|back in (?:19|20)\d\d|in (?:19|20)\d\d|used to|"
    r"when i was (?:little|younger|a kid|in year \d+)|"
    r"a while ago|ages ago|in the past|flynyddoedd yn ôl|llynedd|ers talwm|arfer)\b"
)
_ONGOING_RE = re.compile(
    r"\b(?:still|again|keeps?|every (?:day|night|week)|tonight|today|right now|at the moment|"
    r"currently|any ?more|nawr|rŵan|heno)\b"
)
_RESOLVED_RE = re.compile(
    r"\b(?:(?:it's|i'm|he's|she's|all|everything's|everything is|it is|i am) (?:fine|ok|okay|"
    r"better|safe|sorted|calm|good)(?: now)?|"
    r"moved away|(?:much )?better now|been fine since|(?:ok|okay|fine|safe|calm) now|"
    r"mae'n iawn(?: nawr)?|yn iawn nawr)\b"
)
_NEGATION_RE = re.compile(
    r"\b(?:not|never|no|nobody|no one|don't|doesn't|didn't|isn't|wasn't|won't|haven't|hasn't|"
    r"nearly|almost|without|ddim)\b[\w' ]{0,14}$"
)

_MINOR_AGE_RES = (
    re.compile(
        r"\b(?:i'm|i am|he's|he is|she's|she is|they're|we're|were|who's|who is|aged?|is|are|only|"
        r"just) (?:only |just |about |like |nearly )?(\d{1,2})(?!\d| ?(?:%|pm|am|quid|mins?|"
        r"minutes?|hours?|times|o'clock))\b"
    ),
    re.compile(r"\((\d{1,2})\)"),
    re.compile(
        r"\b(?:is|she's|he's) (?:maybe|about|around) (\d{1,2})\b(?! ?(?:mins?|minutes|hours|%|"
        r"quid))"
    ),
    re.compile(
        r"\b(?:maybe|around|about|roughly|probably) (\d{1,2})(?: or \d{1,2})?\b(?! ?(?:people|"
        r"of us|times|quid|pounds|mins?|minutes|hours|days|weeks|months|years|pm|am|o'clock|"
        r"metres|miles|%))"
    ),
    re.compile(r"\b(\d{1,2})[- ]?(?:years?|yrs?|yr)[- ]old\b(?! (?:man|men|guy|bloke|woman))"),
    re.compile(
        r"\b(?:dw i|dwi|rydw i|rwy|mae (?:hi|e|o|fe)|yn)(?:'n|"
        r" yn)? (\d{1,2})(?: oed)?\b(?! (?:munud|awr|o'r gloch|mlynedd))"
    ),
)
_MINOR_CONTEXT_RE = re.compile(
    r"\b(?:year (?:[3-9]|1[0-3])s?|under (?:1[0-8]|[5-9])|(?:little|younger|baby|kid) (?:brother|"
    r"sister|cousin)|primary school|chwaer fach|brawd bach|mrawd bach)\b"
)
_ADULT_RE = re.compile(
    r"\b(?:(?:he's|he is|she's|she is|who's|who is|man is|aged?) (?:about |like |nearly |"
    r"over )?(?:1[89]|[2-6]\d)\b|"
    r"(?:1[89]|[2-6]\d)[- ]?(?:years?|yr)[- ]old (?:man|guy|bloke|woman|boyfriend|girlfriend|bf|"
    r"gf|partner|lad|fella)|(?:in (?:his|her) (?:20s|30s|40s|50s|twenties|thirties|forties))|"
    r"(?:older|grown|adult) (?:man|men|guy|guys|bloke|woman|women)|dyn hŷn|dynion hŷn|"
    r"(?:bf|boyfriend|girlfriend|gf|partner|man|guy|he|she) (?:is|'s) (?:about |like |nearly |"
    r"over )?(?:1[89]|[2-6]\d)(?! ?(?:mins?|minutes|%|quid))\b|"
    r"(?:a|an) (?:1[89]|[2-6]\d)[- ]?(?:years?|yrs?)[- ]old)"
)
_SPECIFIC_PERSON_RE = re.compile(
    r"\b(?:i|i'm|i've|i'll|i'd|me|my|myself|mine|we|we're|us|our|fi|fy|dw i|dwi|rydw i|"
    r"(?:a|one|this|that) (?:girl|boy|lad|kid|child|young person) (?:in|from|at|who|called|named)|"
    r"(?:she|he)(?:'s| is) (?:only |just |about )?\d{1,2})\b"
)


def _expand_chat_spellings(text: str) -> str:
    text = _CHAT_WORD_RE.sub(_chat_replacement, f" {text} ")
    for short, full in _ONE_LETTER_WORDS:
        text = text.replace(short, full).replace(short, full)  # twice: "n n" overlaps
    text = text.strip()
    return _DROPPED_G_RE.sub(lambda m: m.group(1) + "ing", text)


def _chat_replacement(match: re.Match[str]) -> str:
    start = match.start()
    # "o'n" / "i'r": an apostrophe before means the word is part of a Welsh contraction
    if start > 0 and match.string[start - 1] == "'":
        return match.group()
    return _CHAT_SPELLINGS[match.group()]


def _normalise(text: str) -> str:
    lowered = text.lower().translate(_QUOTE_TABLE)
    lowered = " ".join(_SCARE_QUOTE_RE.sub(" ", lowered).split())
    return _expand_chat_spellings(lowered)


def _blank_figures_of_speech(text: str) -> str:
    text = _PARENT_HYPERBOLE_RE.sub(" figurative_parent_threat ", text)
    return _FIGURATIVE_RE.sub(" ~ ", text)


def _historic_sentence_ranges(text: str) -> list[tuple[int, int]]:
    """Sentences reporting a past incident that is over (no ongoing marker, or resolved)."""
    ranges = []
    for match in _SENTENCE_SPLIT_RE.finditer(text):
        sentence = match.group()
        if _HISTORIC_RE.search(sentence) and (
            not _ONGOING_RE.search(sentence) or _RESOLVED_RE.search(sentence)
        ):
            ranges.append((match.start(), match.end()))
    return ranges


def _sentence_start(text: str, position: int) -> int:
    cut = max(text.rfind(ch, 0, position) for ch in ".!?\n")
    return cut + 1


def _is_negated(text: str, start: int) -> bool:
    window = text[max(_sentence_start(text, start), start - 30) : start]
    return bool(_NEGATION_RE.search(window))


def _mentions_minor_age(text: str) -> bool:
    for pattern in _MINOR_AGE_RES:
        for match in pattern.finditer(text):
            if 5 <= int(match.group(1)) <= 17:
                return True
    return bool(_MINOR_CONTEXT_RE.search(text))


def _word_start_matches(
    pattern: re.Pattern[str], text: str, start: int, end: int
) -> Iterator[re.Match[str]]:
    """Like finditer on text[start:end], but only matches that start a word."""
    position = start
    while (match := pattern.search(text, position, end)) is not None:
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_'"):
            yield match
            position = max(match.end(), start + 1)
        else:
            position = start + 1


def _group_matches(group: CueGroup, text: str, index: TextIndex) -> list[re.Match[str]]:
    """Matches of a group's cues, leftmost-longest and non-overlapping (one hit per phrase).

    Cues run sentence by sentence, and only in sentences holding one of their triggers.
    """
    matches = [
        match
        for cue in group.cues
        for start, end in index.regions_for(cue.triggers)
        for match in _word_start_matches(cue.pattern, text, start, end)
    ]
    matches.sort(key=lambda m: (m.start(), -m.end()))
    kept: list[re.Match[str]] = []
    for match in matches:
        if not kept or match.start() >= kept[-1].end():
            kept.append(match)
    return kept


def _find_cue_hits(text: str) -> list[CueHit]:
    historic = _historic_sentence_ranges(text)
    sentences = tuple((m.start(), m.end()) for m in _SENTENCE_SPLIT_RE.finditer(text))
    index = TextIndex.build(text, sentences, all_triggers())
    hits: list[CueHit] = []
    seen: set[tuple[str, str]] = set()
    for group in cue_groups():
        for match in _group_matches(group, text, index):
            in_past = any(start <= match.start() < end for start, end in historic)
            if in_past and not group.survives_history:
                continue
            if group.negatable and _is_negated(text, match.start()):
                continue
            key = (group.reason, match.group())
            if key in seen:
                continue
            seen.add(key)
            hits.append(CueHit(group.reason, group.weight, match.group()))
    return hits


def _reasons_by_weight(hits: list[CueHit]) -> tuple[str, ...]:
    totals: dict[str, int] = {}
    for hit in hits:
        totals[hit.reason] = totals.get(hit.reason, 0) + hit.weight
    return tuple(sorted(totals, key=lambda r: (-totals[r], REASON_ORDER.index(r))))


def explain_disclosure(text: str) -> DisclosureAssessment:
    """Full evidence behind the urgency decision, for moderators and evaluation."""
    normalised = _blank_figures_of_speech(_normalise(text))
    hits = _find_cue_hits(normalised)
    minor_age = _mentions_minor_age(normalised)
    age_gap = minor_age and bool(_ADULT_RE.search(normalised))
    specific_person = minor_age or bool(_SPECIFIC_PERSON_RE.search(normalised))

    cue_score = sum(hit.weight for hit in hits)
    # Age modifiers only strengthen real evidence: two weak cues or one moderate cue.
    score = cue_score + (int(minor_age) + int(age_gap) if cue_score >= MODERATE else 0)
    has_strong_cue = any(hit.weight >= STRONG for hit in hits)
    urgent = has_strong_cue or (specific_person and score >= URGENT_THRESHOLD)
    reasons = _reasons_by_weight(hits) if urgent else ()
    return DisclosureAssessment(
        urgent=urgent,
        reasons=reasons,
        score=score,
        hits=tuple(hits),
        minor_age=minor_age,
        age_gap=age_gap,
        specific_person=specific_person,
    )


def detect_disclosure(text: str) -> tuple[bool, tuple[str, ...]]:
    """(urgent, reasons) for one entry; reasons are empty when not urgent."""
    assessment = explain_disclosure(text)
    return assessment.urgent, assessment.reasons
