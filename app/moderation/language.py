"""Which of the shipped languages a report's words look like, for the moderator (issue #13.4).

A report carries the language of the form it was written on (`Report.language`). People often
write in another language than the one the form was in (the form in English, the words in Polish),
and the moderator, the redaction suggestions and triage should know. This is a small, honest
guess from the script and from the commonest short words of each language, nothing more: it says
"can't tell" (None) rather than guess from too little, and it only knows the seven shipped locales.

- Arabic script: Urdu and Arabic are told apart by the letters only one of them uses (Urdu's
  retroflex letters, noon ghunna and bari ye; Arabic's teh marbuta, kaf and yeh) and by their commonest words.
- Latin script: Welsh, Polish, Romanian, Somali and English by their commonest words, with the
  letters only one of them uses (Polish ł ą ę, Romanian ș ț ă, Welsh ŵ ŷ) counting as half a word.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The commonest short words of each language, those that turn up in any sentence about a place.
# Words two languages share ("a", "i", "o", "in", "la") are left out: they tell nothing apart.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are was were it its this that there they them their we my me you he she his her "
        "of to at on with for from after when what but not very people night dark here go get feel "
        "safe unsafe around near be been have has do does don't can't i'm it's"
    ),
    "cy": _words(
        "yn yr y mae ac ar ei dw dwi ddim wedi fy gyda pan nos ond hefyd iawn mewn ni nhw chi hyn "
        "hwn hon roedd oedd bod ydy ydw gan dros wrth heb rhaid eisiau teimlo saff lle parc ysgol "
        "bobl pobl"
    ),
    "pl": _words(
        "się nie jest są że na w z do po jak tu tam ale mnie mi bardzo jestem był była było czuję "
        "wieczorem nocy ludzie tego to ten ta przy obok koło gdzie kiedy dlaczego bo tylko"
    ),
    "ro": _words(
        "și în este sunt cu pe nu că mă se un una care foarte aici acolo noaptea seara oamenii "
        "după când dar mai lângă pentru din sau eu ne îmi simt sigur nesigur parcul"
    ),
    "so": _words(
        "waa iyo ku oo ayaa waxaa uu ay aan ka ma wax halkan habeenkii dadka way waan aad badan "
        "kale sidoo leh ahay ahayn jira jiraa meeshan dhinaca xaafadda"
    ),
    "ar": _words(
        "في من على أن هذا هذه لا مع عن إلى التي الذي كان هناك هو هي نحن أنا الليل جدا لكن عند "
        "بعد قبل أشعر الناس المكان"
    ),
    "ur": _words(
        "ہے ہیں میں کے کی کا اور نہیں یہ وہ پر سے کو بھی بہت تھا تھی رات لوگ جگہ مجھے ہم جب "
        "لیکن یہاں وہاں ہوں"
    ),
}

# Letters that only one of the seven languages uses (each counts as half a common word).
LETTERS: dict[str, frozenset[str]] = {
    "pl": frozenset("ąćęłńśźż"),
    "ro": frozenset("ăâîșşțţ"),
    "cy": frozenset("ŵŷ"),
    "ur": frozenset("ٹڈڑںےھ"),
    "ar": frozenset("ةكي"),
}

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F]")
LATIN_LETTER = re.compile(r"[A-Za-z\u00C0-\u024F]")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
ARABIC_LANGUAGES = ("ar", "ur")
LATIN_LANGUAGES = ("en", "cy", "pl", "ro", "so")

# Evidence needed before saying anything: this many points, and the winner this far ahead.
MIN_SCORE = 2.0
MIN_LEAD = 1.5


def detect_language(text: str | None) -> str | None:
    """The shipped locale the words most look like, or None when there is too little to tell."""
    if not text:
        return None
    arabic = len(ARABIC_SCRIPT.findall(text))
    latin = len(LATIN_LETTER.findall(text))
    if arabic == 0 and latin == 0:
        return None
    candidates = ARABIC_LANGUAGES if arabic > latin else LATIN_LANGUAGES
    lowered = text.lower()
    words = [w.replace("’", "'") for w in WORD.findall(lowered)]
    scores: dict[str, float] = dict.fromkeys(candidates, 0.0)
    for code in candidates:
        common = STOPWORDS[code]
        scores[code] += sum(1 for w in words if w in common)
        letters = LETTERS.get(code)
        if letters:
            scores[code] += 0.5 * sum(1 for ch in lowered if ch in letters)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if best_score < MIN_SCORE or best_score < MIN_LEAD * runner_up:
        return None
    return best


def differs_from_chosen(chosen: str, *texts: str | None) -> str | None:
    """The detected language of the report's words when it is not the one its form was in."""
    detected = detect_language(" ".join(t for t in texts if t))
    return detected if detected is not None and detected != chosen else None
