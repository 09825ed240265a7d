"""Person names in any of the platform's languages.

Evidence, strongest first:

* a title: "Mrs Okafor", "miss kaur", "pan Wiśniewski", "domnul Popescu", "الأستاذ أحمد";
* a cue word for a person: "my friend Amir", "fy nghefnder Ianto", "moja przyjaciółka
  Oliwia", "prietena mea Ioana", "saaxiibkay Cali", "mera dost Bilal", "صاحبي سامي",
  or an honorific after the name ("Bilal bhai");
* a known first name (word lists for English, Welsh, Polish, Romanian, Somali, Arabic
  and Urdu in both scripts), with any surname that follows; Polish and Romanian names
  are also recognised in their inflected forms ("Oliwii", "Kuby", "Ioanei");
* an unknown capitalised word followed by a known, distinctive surname ("Shay Connolly").

Words that only look like names are filtered out: streets and places ("Park Road"),
months, brands, ordinary words, and the frequent words of whichever languages the text
is written in ("Pam?" is Welsh for "why?", "jo" is Urdu for "which").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.moderation.triage.pii.spans import Span
from app.moderation.triage.pii.wordlists import (
    AMBIGUOUS_FIRST_NAMES,
    ARABIC_SCRIPT_FUNCTION_WORDS,
    COMMON_WORDS,
    FIRST_NAMES,
    FUNCTION_WORDS,
    LOWERCASE_WORD_NAMES,
    NOT_NAMES,
    PLACE_NOUNS,
    POLISH_FIRST_NAMES,
    ROMANIAN_FIRST_NAMES,
    SURNAMES,
    UK_PLACES,
    WORD_SURNAMES,
    languages_in,
    words,
)

# Words before a capitalised word that make it part of a place or school name.
_PLACE_PREFIXES = frozenset(
    words(
        "st st. saint ysgol heol stryd ffordd lôn lon port fort upper lower north south east west "
        "new old great little llys tŷ"
    )
)
_LOCATIVE_PREPOSITIONS = frozenset(
    words("in to from near around round outside through via towards into at of i o yn")
)

# Titles before a name. Latin-script ones in any case ("miss kaur"); the Polish, Romanian,
# Somali and Urdu ones are "pan/pani", "domnul/doamna", "macallin", "ustad/sheikh".
_TITLES = frozenset(
    words(
        "mr mrs ms miss mx dr prof rev revd sir dame lady lord pc dc sgt insp cllr councillor "
        "coach imam pastor pan pani panem panią pana domnul doamna dl dna d-na d-l doamnei "
        "domnului macallin macalin macallimad macalimad ustad ustaad ustadh ustaz ustadha sheikh "
        "shaikh hafiz maulana molvi qari"
    )
)
# Titles that are also everyday words: they only count before a capitalised word.
_WEAK_TITLES = frozenset(words("miss pan pani dl dna sir lady lord coach"))
_ARABIC_SCRIPT_TITLES = frozenset(
    words(
        "الأستاذ الأستاذة أستاذ أستاذة استاذ استاذة الاستاذ الاستاذة الشيخ شيخ المعلم المعلمة "
        "الدكتور الدكتورة مولانا حافظ قاری استاد ٹیچر مس سر ڈاکٹر"
    )
)

# Nouns for people; a name straight after one of these is taken even if unknown
# ("my friend Amir", "the owner Paul", "fy ffrind Ianto", "pe Mihai").
_PERSON_CUES = frozenset(
    words(
        # English
        "friend mate bestie bff pal brother bro sister sis cousin cuz son daughter boyfriend "
        "girlfriend bf gf ex neighbour neighbor uncle auntie aunty aunt nan grandad stepdad "
        "step-dad stepmum step-mum stepbrother stepsister teacher worker coach marshal warden "
        "manager owner officer carer mentor tutor lad guy girl boy man woman bloke fella kid "
        "person dealer driver landlord called named aka mum dad partner husband wife chair "
        "leader volunteer head headteacher nephew niece "
        # Welsh
        "ffrind ffrindiau mrawd brawd frawd chwaer chwaer cefnder nghefnder gefnder cyfnither "
        "nghyfnither mab fab athro athrawes modryb ewythr nain taid cymydog cymdoges enw "
        # Polish
        "przyjaciółka przyjaciolka przyjaciel przyjaciela przyjaciółki kolega koleżanka "
        "kolezanka kumpel kumpela brat siostra kuzyn kuzynka syn córka corka sąsiad sasiad "
        "sąsiadka sasiadka nauczyciel nauczycielka trener trenerka imieniu imię imie "
        # Romanian
        "prietena prietenul prietenă prieten prietenei fratele sora verișoara verisoara vărul "
        "varul fiul fiica colegul colega vecinul vecina profesorul profesoara pe lui cheamă "
        "cheama numele "
        # Somali
        "saaxiibkay saaxiibkey saaxiibtay saaxiibtey walaalkay walaashay walaalkey walaashey "
        "adeerkay habartay wiilkayga gabadhayda yiraahdo magaciisu magaceedu "
        # Roman Urdu
        "dost bhai behen behan cousin beta beti bhanja bhatija chacha mamu khala phuppo naam"
    )
)
_ARABIC_SCRIPT_CUES = frozenset(
    words(
        # Arabic: my friend, my brother, my sister, (son of) my uncle, my neighbour, his name
        "صديقي صديقتي صاحبي صاحبتي أخوي اخوي أخي اخي أختي اختي عمي خالي عمتي خالتي جاري "
        "جارتي ولدي بنتي ابني زوجي زوجتي اسمه اسمها يسمى "
        # Urdu: brother, sister, cousin, friend, son, daughter, uncle, aunt, teacher, name
        "بھائی بہن کزن دوست سہیلی بیٹا بیٹی بیٹے بھتیجا بھانجا چچا ماموں خالہ نام"
    )
)
# Honorifics after a name: "Bilal bhai", "Imran sahib", "Zara baji", "عمران بھائی".
_POST_CUES = frozenset(words("bhai bhaiya baji apa sahib sahab ji bhai-jan بھائی صاحب جی باجی"))

# Verbs of saying or messaging after a name ("Tayo said"), in English, Polish ("mówi",
# "napisał") and Romanian ("zice", "spune"); in Roman Urdu text also "ne", which marks
# the doer ("Imran ne kaha") but is Romanian for "us".
_SPEECH_VERBS = frozenset(
    words(
        "said says told tells texted texts messaged messages threatened threatens asked asks "
        "powiedział powiedziała mówi napisał napisała pisze grozi zice spune"
    )
)
# Endings of ordinary nouns that also say things ("Security told", "Staff said" is common).
_NOUN_ENDINGS = ("s", "ing", "ed", "tion", "ment", "ness", "ity", "ly", "er", "ers")

# "We're", "They've", "Don't": a pronoun or verb with a contraction, never a name.
_CONTRACTIONS = tuple(
    apostrophe + ending
    for apostrophe in ("'", "\u2019")
    for ending in ("re", "ve", "ll", "d", "m", "t")
)

_NAME_PARTICLES = frozenset(
    ["van", "von", "de", "da", "di", "du", "le", "la", "ap", "ab", "bin", "bint", "ibn", "al", "el"]
)
_I_FORMS = frozenset(
    ("i", "i'm", "i\u2019m", "i'll", "i\u2019ll", "i've", "i\u2019ve", "i'd", "i\u2019d")
)
# Welsh text is excluded from lower-case name spotting because many short Welsh words
# are also names ("tu allan", "o dan", "ei ben").
_WELSH = FUNCTION_WORDS["cy"]

# A word with any possessive ('s) or trailing apostrophe/hyphen split off.
_TOKEN_RE = re.compile(
    r"([^\W\d_](?:[\w'\u2019-]*?[^\W_])?)(?:['\u2019]s|['\u2019-]+)?(?![\w'\u2019-])"
)
_SENTENCE_END_RE = re.compile(r"[.!?\n\u061f\u06d4]")  # also Arabic ? and the Urdu full stop
_ARABIC_LETTER_RE = re.compile(r"[\u0600-\u06ff]")
# Conjunctions and prepositions Arabic writes joined to the next word: "ويوسف" = "and Yusuf".
_ARABIC_CLITICS = ("و", "ف", "ب", "ل")

# Polish and Romanian case endings and the nominative ending they replace:
# "Oliwii" -> "Oliwia", "Kasię" -> "Kasia", "Kuby" -> "Kuba", "Piotrka" -> "Piotrek",
# "Jakubem" -> "Jakub", "Ioanei" -> "Ioana", "Mihaelei" -> "Mihaela".
_POLISH_ENDINGS = (
    ("ii", "ia"), ("ię", "ia"), ("ią", "ia"), ("ę", "a"), ("ą", "a"), ("y", "a"), ("i", "a"),
    ("i", "ia"), ("ka", "ek"), ("kiem", "ek"), ("kowi", "ek"), ("owi", ""), ("em", ""),
    ("a", ""), ("u", ""), ("ie", ""),
)  # fmt: skip
_ROMANIAN_ENDINGS = (("ei", "a"), ("ului", ""), ("ul", ""))


class _Token:
    """One word; plain slots class because thousands are made per call."""

    __slots__ = (
        "end",
        "folded",
        "is_arabic",
        "is_capitalised",
        "sentence_start",
        "start",
        "text",
    )

    def __init__(self, text: str, start: int, end: int, *, sentence_start: bool) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.folded = text.casefold()
        self.is_capitalised = text[0].isupper()
        self.is_arabic = _ARABIC_LETTER_RE.match(text) is not None
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


class _Context:
    """Per-text facts the rules consult: tokens, languages, writing style."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenise(text)
        folded = [t.folded for t in self.tokens]
        self.languages = languages_in(folded)
        # Words that are vocabulary in the languages this text is written in.
        self.local_words: frozenset[str] = frozenset().union(
            *(FUNCTION_WORDS[lang] for lang in self.languages)
        )
        self.lower_case_text = "cy" not in self.languages and not any(
            t.is_capitalised and t.folded not in _I_FORMS and not t.sentence_start
            for t in self.tokens
        )

    def is_local_word(self, token: _Token) -> bool:
        return token.folded in self.local_words or token.folded in ARABIC_SCRIPT_FUNCTION_WORDS

    def only_space_between(self, left: _Token, right: _Token) -> bool:
        return self.text[left.end : right.start] in ("", " ", "  ")


def _inflected_key(folded: str) -> str | None:
    """The Polish or Romanian first name an inflected form comes from, if any."""
    for ending, replacement in _POLISH_ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= 2:
            base = folded[: -len(ending)] + replacement
            if base in POLISH_FIRST_NAMES:
                return base
    for ending, replacement in _ROMANIAN_ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= 2:
            base = folded[: -len(ending)] + replacement
            if base in ROMANIAN_FIRST_NAMES:
                return base
    return None


def _name_key(token: _Token) -> str:
    # "Lily-Mae" is looked up whole, then by its first part; "ويوسف" without its "و".
    folded = token.folded
    if folded in FIRST_NAMES or folded in AMBIGUOUS_FIRST_NAMES:
        return folded
    if token.is_arabic:
        if folded[:1] in _ARABIC_CLITICS and len(folded) > 3:
            return folded[1:]
        return folded
    first_part = folded.split("-", 1)[0]
    if first_part in FIRST_NAMES or token.is_capitalised is False:
        return first_part
    return _inflected_key(folded) or first_part


def _is_known_first_name(token: _Token) -> bool:
    return _name_key(token) in FIRST_NAMES


def _is_ambiguous_first_name(token: _Token) -> bool:
    return _name_key(token) in AMBIGUOUS_FIRST_NAMES


def _is_name_like(token: _Token, ctx: _Context) -> bool:
    """A capitalised word that could be someone's (sur)name: not a common word or place noun."""
    folded = token.folded
    return (
        token.is_capitalised
        and len(token.text) >= 2
        and folded not in COMMON_WORDS
        and folded not in NOT_NAMES
        and folded not in PLACE_NOUNS
        and folded not in _TITLES
        and folded not in _I_FORMS
        and not folded.endswith(_CONTRACTIONS)
        and not ctx.is_local_word(token)
    )


def _is_place_context(ctx: _Context, index: int) -> bool:
    tokens = ctx.tokens
    token = tokens[index]
    nxt = tokens[index + 1] if index + 1 < len(tokens) else None
    prev = tokens[index - 1] if index > 0 else None
    # "Ruby Walk" is a street, "Ruby walk(s) that way" is not.
    if (
        nxt
        and ctx.only_space_between(token, nxt)
        and nxt.folded in PLACE_NOUNS
        and (nxt.is_capitalised or not token.is_capitalised)
    ):
        return True
    if (
        prev
        and ctx.only_space_between(prev, token)
        and prev.folded in _PLACE_PREFIXES
        and prev.is_capitalised
    ):
        return True
    # "i Ben-y-bryn" (Welsh "to"): a hyphenated Welsh place, not a person.
    if prev and prev.folded in _LOCATIVE_PREPOSITIONS and "-y-" in token.folded:
        return True
    return bool(prev and prev.folded in _LOCATIVE_PREPOSITIONS and token.folded in UK_PLACES)


def _is_surname_token(token: _Token, ctx: _Context) -> bool:
    if token.is_arabic:
        return token.folded in SURNAMES or _is_known_first_name(token)
    return token.is_capitalised and (token.folded in SURNAMES or _is_name_like(token, ctx))


def _extend_with_surnames(ctx: _Context, index: int, *, max_extra: int = 2) -> int:
    """Index of the last token of a name starting at ``index`` (surnames, particles)."""
    tokens = ctx.tokens
    last = index
    taken = 0
    i = index + 1
    while (
        i < len(tokens) and taken < max_extra and ctx.only_space_between(tokens[i - 1], tokens[i])
    ):
        token = tokens[i]
        if token.folded in _NAME_PARTICLES and i + 1 < len(tokens) and tokens[i + 1].is_capitalised:
            i += 1
            continue
        if not _is_surname_token(token, ctx) or _is_place_context(ctx, i):
            break
        last, taken, i = i, taken + 1, i + 1
    return last


def _extend_lowercase_surname(ctx: _Context, index: int) -> int:
    """'kyle ashby' -> include a following lower-case word only if it is a known surname."""
    nxt = index + 1
    tokens = ctx.tokens
    if nxt < len(tokens) and ctx.only_space_between(tokens[index], tokens[nxt]):
        candidate = tokens[nxt]
        if (
            not candidate.is_capitalised
            and candidate.folded in SURNAMES
            and candidate.folded not in COMMON_WORDS
            and not ctx.is_local_word(candidate)
        ):
            return nxt
    return index


def _next_is_surname(ctx: _Context, index: int, *, distinctive: bool) -> bool:
    """A capitalised known surname follows ("Will Smith"; "Shay Connolly" if distinctive)."""
    if index + 1 >= len(ctx.tokens):
        return False
    nxt = ctx.tokens[index + 1]
    if distinctive and (nxt.folded in WORD_SURNAMES or nxt.folded in PLACE_NOUNS):
        return False
    return (
        ctx.only_space_between(ctx.tokens[index], nxt)
        and nxt.is_capitalised
        and nxt.folded in SURNAMES
        and not _is_place_context(ctx, index + 1)
    )


def _follows_person_cue(ctx: _Context, index: int) -> bool:
    """'my friend X', 'a lad called X', 'her name is X', 'the bus marshal, X'."""
    if index == 0:
        return False
    tokens = ctx.tokens
    prev = tokens[index - 1]
    gap = ctx.text[prev.end : tokens[index].start]
    if gap.strip() not in ("", ",", ":"):
        return False
    if prev.folded in _PERSON_CUES or prev.folded in _ARABIC_SCRIPT_CUES:
        return True
    if prev.folded in ("name's", "names", "name\u2019s"):
        return True
    # "her name is X", "magaciisu waa X", "ma na imię X" (handled by the cue list)
    return (
        index >= 2
        and prev.folded in ("is", "was", "waa", "yw", "ydy", "e", "este", "hai")
        and tokens[index - 2].folded in ("name", "magaciisu", "magaceedu", "enw", "numele", "naam")
    )


def _says_something(ctx: _Context, index: int) -> bool:
    """The next word is a verb of saying or messaging: people talk, places and shops don't."""
    tokens = ctx.tokens
    if index + 1 >= len(tokens) or not ctx.only_space_between(tokens[index], tokens[index + 1]):
        return False
    verb = tokens[index + 1].folded
    return verb in _SPEECH_VERBS or (verb == "ne" and "ur" in ctx.languages)


def _precedes_post_cue(ctx: _Context, index: int) -> bool:
    """'Bilal bhai', 'Imran sahib'."""
    tokens = ctx.tokens
    return (
        index + 1 < len(tokens)
        and tokens[index + 1].folded in _POST_CUES
        and ctx.only_space_between(tokens[index], tokens[index + 1])
    )


def _is_lowercase_chat_name(token: _Token, ctx: _Context) -> bool:
    return (
        not token.is_capitalised
        and not token.is_arabic
        and _is_known_first_name(token)
        and token.folded not in COMMON_WORDS
        and token.folded not in LOWERCASE_WORD_NAMES
        and not ctx.is_local_word(token)
    )


def _arabic_name_start(ctx: _Context, index: int) -> bool:
    """Arabic script has no capitals: a known name, or an ambiguous one after a cue."""
    token = ctx.tokens[index]
    if ctx.is_local_word(token):
        return False
    cued = _follows_person_cue(ctx, index) or _precedes_post_cue(ctx, index)
    if _is_known_first_name(token):
        return True
    return cued and _is_ambiguous_first_name(token)


def _person_name_start(ctx: _Context, index: int) -> bool:
    """Decide whether a name starts at ``ctx.tokens[index]``."""
    token = ctx.tokens[index]
    if token.folded in NOT_NAMES or token.folded in _I_FORMS:
        return False
    if token.is_arabic:
        return _arabic_name_start(ctx, index)
    known = _is_known_first_name(token) and token.folded not in COMMON_WORDS
    if _follows_person_cue(ctx, index) or _precedes_post_cue(ctx, index):
        if token.is_capitalised:
            candidate = _is_name_like(token, ctx) or known or _is_ambiguous_first_name(token)
        else:
            # lower-case chat: "my mate keisha" only for names we know
            candidate = known and not ctx.is_local_word(token)
    elif ctx.is_local_word(token):
        # "Pam?" in Welsh, "Bez" in Polish: vocabulary of the text's own language.
        candidate = False
    elif not token.is_capitalised:
        candidate = ctx.lower_case_text and _is_lowercase_chat_name(token, ctx)
    elif known:
        candidate = True
    elif _is_ambiguous_first_name(token):
        # "Will Smith" and "Grace said" are names, "Will you fix it" is not.
        candidate = _next_is_surname(ctx, index, distinctive=False) or _says_something(ctx, index)
    else:
        # An unknown capitalised word before a distinctive surname ("Shay Connolly") or
        # a verb of saying ("Tayo said", "Imran ne kaha").
        candidate = _is_name_like(token, ctx) and (
            _next_is_surname(ctx, index, distinctive=True)
            or (not token.folded.endswith(_NOUN_ENDINGS) and _says_something(ctx, index))
        )
    return candidate and not _is_place_context(ctx, index)


def _title_name_end(ctx: _Context, index: int) -> int | None:
    """Index of the last name token when ``tokens[index]`` is a title before a name."""
    tokens = ctx.tokens
    token = tokens[index]
    if index + 1 >= len(tokens):
        return None
    nxt = tokens[index + 1]
    if ctx.text[token.end : nxt.start].strip() not in ("", "."):
        return None
    if token.is_arabic:
        if token.folded in _ARABIC_SCRIPT_TITLES and (
            _is_known_first_name(nxt) or _is_ambiguous_first_name(nxt) or nxt.folded in SURNAMES
        ):
            return _extend_with_surnames(ctx, index + 1)
        return None
    title = token.folded.rstrip(".")
    if title not in _TITLES:
        return None
    if nxt.is_capitalised:
        is_name = _is_name_like(nxt, ctx) or nxt.folded in SURNAMES or _is_known_first_name(nxt)
    elif title in _WEAK_TITLES:
        # "miss kaur": a weak title before a lower-case word needs a distinctive surname
        is_name = nxt.folded in SURNAMES and nxt.folded not in WORD_SURNAMES
    else:
        # "mr patel", "mrs jones"
        is_name = nxt.folded in SURNAMES or _is_known_first_name(nxt)
    if not nxt.is_capitalised:
        is_name = is_name and nxt.folded not in COMMON_WORDS and not ctx.is_local_word(nxt)
    if not is_name or _is_place_context(ctx, index + 1):
        return None
    if nxt.is_capitalised:
        return _extend_with_surnames(ctx, index + 1)
    return _extend_lowercase_surname(ctx, index + 1)


def find_person_names(text: str) -> Iterator[Span]:
    ctx = _Context(text)
    tokens = ctx.tokens
    i = 0
    while i < len(tokens):
        token = tokens[i]
        title_end = _title_name_end(ctx, i)
        if title_end is not None:
            yield Span("person_name", token.start, tokens[title_end].end)
            i = title_end + 1
            continue
        if _person_name_start(ctx, i):
            if token.is_capitalised or token.is_arabic:
                last = _extend_with_surnames(ctx, i)
            else:
                last = _extend_lowercase_surname(ctx, i)
            start = token.start
            if token.is_arabic and _name_key(token) != token.folded:
                start += 1  # leave a joined "و" (and) outside the name
            yield Span("person_name", start, tokens[last].end)
            i = last + 1
            continue
        i += 1
