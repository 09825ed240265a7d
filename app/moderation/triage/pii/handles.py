"""Social media handles, with or without the @.

Three kinds of evidence, strongest first:

* the shape alone: "@jaybee", "jay_b_07" (an underscore), "ghost.tk9" (a dot and a digit);
* a platform or account word shortly before a dotted name: "fy snap i yw elin.celf",
  "Username: faarax.plays", "we're on insta as ironworks.teen";
* a platform or account word with a link word before a plain word: "my insta is jessxo",
  "his username is jaybee", "follow them on snap, it's jaybee", "Jego nick to kuba".

Plain words that are vocabulary in any of the platform's languages are never handles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.moderation.triage.pii.spans import Span
from app.moderation.triage.pii.wordlists import ALL_FUNCTION_WORDS, COMMON_WORDS, NOT_NAMES

_HANDLE_CHARS = r"[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?"
_AT_HANDLE_RE = re.compile(rf"(?<![\w@.])@{_HANDLE_CHARS}")

PLATFORMS = (
    r"(?:snap(?:chat)?|insta(?:gram)?|tik ?tok|twitter|discord|telegram|kik|threads|facebook|"
    r"psn|xbox|gamertag|yubo|bereal|roblox|sc|ig|tt|fb)"
)
# Words for "username"/"account" in the platform's languages (English, Welsh, Polish,
# Romanian, Somali, Urdu and Arabic in either script).
_ACCOUNT_WORDS = (
    r"(?:user ?name|user|handle|account|acc|profile|nick(?:name)?|gamer ?tag|tag|id|"
    r"konto|profil|cont(?:ul)?|profilul|cyfrif|gyfrif|nghyfrif|chyfrif|proffil|"
    r"enw defnyddiwr|akoon(?:ka|kiisa|keeda)?|"
    r"الحساب|حساب|حسابه|حسابها|يوزر|اليوزر|اکاؤنٹ|آئی ڈی)"
)
# Words that may sit between the cue and the handle: "is", "'s", ":", "yw", "to", ...
_LINK = (
    r"(?:\s*(?:'s|\u2019s|=|:|-)\s*|\s+(?:is|was|it's|it\u2019s|its|yw|ydy|i|to|jest|e|este|"
    r"waa|hai|ہے|اسمه|اسمها|هو|lui|ei|jego|jej|his|her|their|called|named|as)\b\s*|\s*,\s*|\s+)"
)
_CUE_HANDLE_RE = re.compile(
    rf"(?<![\w@])(?P<cue>{PLATFORMS}|{_ACCOUNT_WORDS})(?P<link>(?:{_LINK}){{1,3}})"
    rf"@?(?P<handle>{_HANDLE_CHARS})",
    re.IGNORECASE,
)
_ACCOUNT_WORD_RE = re.compile(rf"{_ACCOUNT_WORDS}$", re.IGNORECASE)
_ADD_ME_RE = re.compile(
    rf"\b(?:add|follow|find) (?:me|him|her|them|us) (?:on|at)\s+(?:{PLATFORMS}\s*(?:as|at|:|-)?\s*)?"
    rf"@?(?P<handle>{_HANDLE_CHARS})",
    re.IGNORECASE,
)
# "xyz_09 on snap"
_HANDLE_ON_PLATFORM_RE = re.compile(
    rf"(?<![\w@.])(?P<handle>{_HANDLE_CHARS})\s+on\s+(?:snap(?:chat)?|insta(?:gram)?|tik ?tok|"
    rf"discord|twitter)\b",
    re.IGNORECASE,
)
# Shape alone: an underscore between word characters, or a dot with a digit somewhere and
# a letter after the last dot ("ghost.tk9", not "No.5" or "3.30").
_UNDERSCORE_HANDLE_RE = re.compile(
    r"(?<![\w@./])[A-Za-z0-9][A-Za-z0-9.]*_(?:[A-Za-z0-9_.]*[A-Za-z0-9_])?(?![\w@]|\.\w)"
)
_DOTTED_RE = re.compile(
    r"(?<![\w@./])(?P<handle>[A-Za-z][A-Za-z0-9]+(?:\.[A-Za-z0-9]+)+)(?![\w@]|\.\w)"
)
_NOT_HANDLE_PREFIXES = frozenset(
    ("no", "nr", "tel", "st", "ref", "vol", "pt", "ch", "fig", "approx", "ave", "rd", "mr", "mrs")
)
# A platform, account or "follow" word within this many characters before a dotted name.
_CUE_WINDOW = 40
_CUE_RE = re.compile(
    rf"(?<![\w@])(?:{PLATFORMS}|{_ACCOUNT_WORDS}|follow|dilynwch)\b", re.IGNORECASE
)
_HINT_RE = re.compile(rf"@|_|\.\w|\b{PLATFORMS}\b|{_ACCOUNT_WORDS}", re.IGNORECASE)


def _is_vocabulary(word: str) -> bool:
    folded = word.casefold()
    return folded in COMMON_WORDS or folded in NOT_NAMES or folded in ALL_FUNCTION_WORDS


def _looks_like_handle(handle: str) -> bool:
    """Usernames usually carry a digit, underscore or dot; plain words need a stronger cue."""
    return any(ch.isdigit() or ch in "_." for ch in handle)


def _plain_word_accepted(handle: str, cue: str, link: str) -> bool:
    """'snap is xyz' takes a plain word that is not vocabulary; bare 'snap xyz' does not."""
    if _is_vocabulary(handle) or len(handle) < 3 or handle.casefold().endswith("ly"):
        return False
    explicit_link = bool(link.strip(" ,"))
    if _ACCOUNT_WORD_RE.match(cue):
        return explicit_link or cue.casefold() in ("username", "user name", "gamertag")
    return explicit_link and len(cue) > 2


def _find_cued(text: str) -> Iterator[Span]:
    for match in _CUE_HANDLE_RE.finditer(text):
        handle, cue, link = match.group("handle"), match.group("cue"), match.group("link")
        if _looks_like_handle(handle):
            if len(cue) <= 2 and not link.strip():
                continue  # "sc xyz.1" is too weak
        elif not _plain_word_accepted(handle, cue, link):
            continue
        yield Span("social_handle", match.start("handle"), match.end("handle"))


def _has_cue_before(text: str, start: int) -> bool:
    return _CUE_RE.search(text, max(0, start - _CUE_WINDOW), start) is not None


def _is_plausible_dotted_name(handle: str) -> bool:
    """'elin.celf' yes; 'lol.she' and 'home.Then' (a missing space after a full stop) no."""
    parts = handle.split(".")
    if any(part[:1].isupper() for part in parts[1:]):
        return False
    return not all(_is_vocabulary(part) for part in parts)


def find_social_handles(text: str) -> Iterator[Span]:
    if _HINT_RE.search(text) is None:
        return
    for match in _AT_HANDLE_RE.finditer(text):
        yield Span("social_handle", match.start(), match.end())
    yield from _find_cued(text)
    for match in _ADD_ME_RE.finditer(text):
        handle = match.group("handle")
        if _looks_like_handle(handle) or not _is_vocabulary(handle):
            yield Span("social_handle", match.start("handle"), match.end("handle"))
    for match in _HANDLE_ON_PLATFORM_RE.finditer(text):
        if _looks_like_handle(match.group("handle")):
            yield Span("social_handle", match.start("handle"), match.end("handle"))
    for match in _UNDERSCORE_HANDLE_RE.finditer(text):
        yield Span("social_handle", match.start(), match.end())
    for match in _DOTTED_RE.finditer(text):
        handle = match.group("handle")
        first, *_, last = handle.split(".")
        if first.casefold() in _NOT_HANDLE_PREFIXES or not any(ch.isalpha() for ch in last):
            continue
        if any(ch.isdigit() for ch in handle) or (
            _has_cue_before(text, match.start()) and _is_plausible_dotted_name(handle)
        ):
            yield Span("social_handle", match.start(), match.end())
