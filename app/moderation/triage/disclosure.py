"""Urgent safeguarding disclosure detection (English and Welsh).

Design, in one paragraph: an entry is urgent when it discloses that a *specific,
current* child or young person is being harmed, exploited, threatened, is at risk of
self-harm, or is in danger now. The text is normalised (lower case, chat spellings
expanded), figures of speech are blanked out ("I'd die for their wings"), and then
named cue groups are matched. Each cue carries a weight:

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
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

STRONG = 3
MODERATE = 2
WEAK = 1
URGENT_THRESHOLD = 3

REASON_ORDER = (
    "self_harm",
    "danger_now",
    "threat_or_coercion",
    "abuse",
    "sexual_exploitation",
    "criminal_exploitation",
)


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    # The cue can only match when one of these strings occurs in the text (None: always try).
    # Checking them first skips most regex work; see _required_literals.
    triggers: frozenset[str] | None


@dataclass(frozen=True)
class _CueGroup:
    reason: str
    weight: int
    negatable: bool  # dropped when "not/never/nobody ..." comes just before
    survives_history: bool  # still counts in a past-tense sentence (disclosed sexual abuse)
    cues: tuple[_Cue, ...]


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


class _LiteralScanner:
    """Finds strings that any match of a (simple) regex must contain.

    Understands the subset used in this module: literals, escapes, classes, groups,
    lookarounds, alternation and quantifiers. Anything it cannot vouch for yields None,
    which means "always run this cue", so the prefilter can only save work, never a match.
    """

    _MIN_LENGTH = 3

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0

    def scan(self) -> frozenset[str] | None:
        result = self._alternation()
        return result if self.pos == len(self.pattern) else None

    def _peek(self) -> str:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else ""

    def _alternation(self) -> frozenset[str] | None:
        branches = [self._sequence()]
        while self._peek() == "|":
            self.pos += 1
            branches.append(self._sequence())
        if any(b is None for b in branches):
            return None
        return frozenset().union(*(b for b in branches if b is not None))

    def _sequence(self) -> frozenset[str] | None:
        candidates: list[frozenset[str]] = []
        run = ""
        while self._peek() not in ("", "|", ")"):
            literal, group = self._atom()
            min_repeat = self._quantifier_minimum()
            if literal is not None and min_repeat >= 1:
                run += literal
                if min_repeat and self._last_quantifier_was_open:
                    candidates.append(frozenset({run}))
                    run = ""
                continue
            if len(run) >= self._MIN_LENGTH:
                candidates.append(frozenset({run}))
            run = ""
            if group is not None and min_repeat >= 1:
                candidates.append(group)
        if len(run) >= self._MIN_LENGTH:
            candidates.append(frozenset({run}))
        useful = [c for c in candidates if min(len(x) for x in c) >= self._MIN_LENGTH]
        # Fewest strings first (each costs a substring search), then the longest.
        return min(useful, key=lambda c: (len(c), -min(len(x) for x in c))) if useful else None

    _last_quantifier_was_open = False

    def _quantifier_minimum(self) -> int:
        """Minimum repeat of the atom just read (1 when unquantified)."""
        self._last_quantifier_was_open = False
        char = self._peek()
        minimum = 1
        if char in ("?", "*"):
            self.pos += 1
            minimum = 0
        elif char == "+":
            self.pos += 1
            self._last_quantifier_was_open = True
        elif char == "{":
            close = self.pattern.index("}", self.pos)
            minimum = int(self.pattern[self.pos + 1 : close].split(",")[0] or 0)
            self._last_quantifier_was_open = True
            self.pos = close + 1
        if self._peek() == "?":  # lazy modifier
            self.pos += 1
        return minimum

    def _atom(self) -> tuple[str | None, frozenset[str] | None]:
        """(literal character, None) or (None, trigger set of a group)."""
        char = self._peek()
        self.pos += 1
        if char == "(":
            return None, self._group()
        if char == "[":
            self._skip_class()
            return None, None
        if char == "\\":
            escaped = self._peek()
            self.pos += 1
            return (escaped, None) if not escaped.isalnum() else (None, None)
        if char in ".^$":
            return None, None
        return char, None

    def _group(self) -> frozenset[str] | None:
        lookaround = False
        if self._peek() == "?":
            self.pos += 1
            kind = self._peek()
            if kind == ":":
                self.pos += 1
            elif kind == "P":
                self.pos = self.pattern.index(">", self.pos) + 1
            else:
                lookaround = True
                self.pos += 2 if kind == "<" else 1
        inner = self._alternation()
        if self._peek() != ")":
            raise ValueError("unbalanced group")
        self.pos += 1
        return None if lookaround else inner

    def _skip_class(self) -> None:
        if self._peek() == "]":
            self.pos += 1
        while self._peek() not in ("", "]"):
            self.pos += 2 if self._peek() == "\\" else 1
        self.pos += 1


def _required_literals(pattern: str) -> frozenset[str] | None:
    try:
        return _LiteralScanner(pattern).scan()
    except ValueError:
        return None


def _group(
    reason: str, weight: int, *patterns: str, negatable: bool = True, survives_history: bool = False
) -> _CueGroup:
    # No leading \b: it would stop `re` from using its first-character prefilter, which
    # makes scanning ~2.5x faster. The word-start check happens in _word_start_matches.
    cues = tuple(_Cue(re.compile(rf"(?:{p})(?!\w)"), _required_literals(p)) for p in patterns)
    return _CueGroup(reason, weight, negatable, survives_history, cues)


# Shared fragments (the text is already lower-cased and chat spellings expanded).
_RELATIVE = (
    r"(?:friend|mate|best mate|bestie|bff|brother|sister|cousin|son|daughter|boyfriend|girlfriend|"
    r"bf|gf|niece|nephew|classmate)"
)
_KIDS = (
    r"(?:me|him|her|us|them|my (?:\w+ )?\w+|the (?:kids|girls|boys|year \d+s?|younger ones)|girls|"
    r"boys|kids)"
)
_PERSON_NOUN = (
    r"(?:dad|mum|mam|mom|stepdad|step-dad|stepmum|step-mum|brother|sister|boyfriend|girlfriend|bf|"
    r"gf|ex|uncle|"
    r"aunt|auntie|cousin|man|guy|lad|lads|gang|group|men|boys|girls|partner|friends?|mates?|"
    r"teacher|coach)"
)
_THEY_WILL = (
    rf"(?:he|she|they|you|them|people|someone|somebody|(?:my|her|his|their|the|this|that|a|an|"
    rf"these|those) (?:\w+ )?{_PERSON_NOUN})"
    r"(?:'ll| will|'d| would|'s going to|'re going to| is going to| are going to)"
)
# Wanting, planning or being about to do something (to oneself).
_INTENT = (
    r"(?:want(?:s|ed)? to|going to|feel like|felt like|thinking (?:about|of)|think about|"
    r"plan(?:ning)? to|about to|"
    r"tried to|try to|trying to|talking about|ready to|decided to|might|will|i'll|gonna)"
)
_VIOLENCE = r"(?:hurt|kill|stab|shank|batter|jump|beat|burn|smash|slash|shoot|knife|do|finish|get)"
_EXPOSE = r"(?:share|post|send|leak|show|spread|upload|put)"
_IMAGES = r"(?:pics|pictures|photos|nudes|nude pics|videos?|vids|snaps)"
_EXPLICIT = (
    r"(?:nudes|nude (?:pics|photos)|naked (?:pics|photos|pictures)|dick pics|explicit (?:pics|"
    r"photos|videos))"
)
# Items whose gift to a child by someone else is an exploitation indicator on its own.
_RISKY_GIFTS = (
    r"(?:vapes?|alcohol|drinks?|vodka|weed|cigarettes|fags|drugs|pills|free stuff|free vapes|"
    r"free weed)"
)
_ORDINARY_GIFTS = (
    r"(?:money|cash|lifts?|presents|gifts|phones?|trainers|clothes|sweets|food|takeaways?)"
)
_WEAPON = r"(?:knife|knives|blade|shank|machete|gun|weapon|bat|nunchucks)"
_ASSAULTED = (
    r"(?:stabbed|beaten up|beaten|jumped|attacked|assaulted|mugged|robbed|battered|shot|spiked|"
    r"kidnapped|slashed|punched|kicked in|glassed|strangled|choked|shanked|merked|bottled|rushed|"
    r"banged up)"
)

_CUE_GROUPS: tuple[_CueGroup, ...] = (
    # --- self-harm and suicide -------------------------------------------------
    _group(
        "self_harm",
        STRONG,
        r"kill(?:ing)? (?:my ?self|meself|her ?self|him ?self|them ?sel(?:f|ves))",
        r"(?:end|ending|take|taking|took) (?:my|her|his|their) (?:own )?life",
        r"(?:end|ending) it all",
        rf"{_INTENT} (?:end|ending|finish|finishing) (?:it|it all|everything|things|my life)",
        rf"{_INTENT} (?:overdose|od|jump off|hang|cut (?:my ?self|deeper)|disappear for(?:ever|"
        rf" good)|not be here|take (?:my|all (?:my|the)) (?:pills|tablets))",
        r"(?:rather|better) be dead|should (?:just )?die|tired of (?:living|life|being alive)|"
        r"can't live like this",
        r"(?:if|when) i (?:died|was gone|wasn't here|disappeared)",
        r"(?:written|wrote|writing|said|saying) (?:my |her |his )?goodbyes?",
        r"(?:want(?:s|ed)?|wanting) to (?:die|be dead|disappear for(?:ever| good))",
        r"wish (?:i|she|he) (?:was|were) dead",
        r"wish (?:i|she|he)(?: had|'d)? never been born",
        r"(?:don't|do not|doesn't|does not|didn't) want to (?:be here|live|be alive|exist|"
        r"wake up|be around)",
        r"(?:not|never) (?:to )?wake up",
        r"(?:no|isn't any|there's no) (?:point|reason) (?:in )?(?:living|to live|going on|"
        r"being here|being alive)",
        r"better off (?:without me|without her|without him|dead)",
        r"suicid(?:e|al)",
        r"(?:cutting|cut|hurting|hurt|harming|harm|burning|burn|burnt|burned|starving|scratching|"
        r"hitting) (?:my ?self|her ?self|him ?self|my (?:arms?|legs?|wrists?|thighs?)|"
        r"her (?:arms?|legs?|wrists?))",
        r"(?:been|started|keep|keeps|am|i'm|is|she's|he's) (?:self[- ]?harming|cutting)",
        r"cutting again",
        r"overdos(?:e|ed|ing)",
        r"(?:took|taken|take|swallowed|had) (?:a load of|loads of|lots of|all (?:of )?(?:my|her|"
        r"his|the)|a bunch of|a packet of|too many|some of (?:my|her|his)|\d+|(?:a |"
        r"the )?whole (?:box|packet) of) (?:pills|tablets|paracetamol|ibuprofen|painkillers|"
        r"co-codamol|sleeping pills)",
        r"(?:pills|tablets) saved",
        r"(?:jump|jumping) (?:off|in front of) (?:a|the) (?:bridge|train|car|building|roof|"
        r"car park)",
        r"hang(?:ing)? (?:my|her|him)sel(?:f|ves)",
        r"can't (?:keep going|go on|carry on|cope any ?more|take (?:it|this) any ?more|"
        r"do this any ?more)",
        r"(?:don't|do not) think (?:i|she|he) can (?:keep going|go on|carry on|cope)",
        r"(?:want|need) (?:it all|everything|it) to stop",
        # Welsh, with soft/nasal mutations (lladd/ladd, torri/dorri/nhorri, brifo/frifo)
        r"(?:eisiau|isio|moyn|eisie) marw",
        r"ddim (?:eisiau|isio|moyn) byw",
        r"(?:lladd|ladd|brifo|frifo|torri|dorri|nhorri|niweidio|anafu) (?:fy|ei|eu) hun(?:an)?",
        r"hunanladdiad",
        r"hunan[- ]?niweidio",
        r"(?:dim|does dim) pwynt byw",
        r"gorddos",
        r"ddim yn gallu (?:cario (?:mlaen|ymlaen)|ymdopi)",
        r"ddim (?:eisiau|isio|moyn) bod (?:yma|yn fyw)",
        r"(?:diweddu|gorffen) (?:y cyfan|popeth|fy mywyd)",
    ),
    _group(
        "self_harm",
        MODERATE,
        r"self[- ]?harm",
        r"nobody would (?:notice|care|miss me)",
        r"(?:written|wrote|writing|left) (?:a )?(?:goodbye |suicide )?(?:letters?|notes?)",
        r"want(?:s|ed)? to disappear",
        r"given (?:me|away) (?:her|his|all (?:her|his|my)|my) (?:stuff|things|belongings)",
        r"(?:going|go) too far",
        r"(?:using|use|got|hiding) (?:blades|razors?)",
        r"(?:marks|cuts|scars|burns) on (?:her|his|my|their) (?:wrists?|arms?|legs?|thighs?)",
        r"(?:got|bought|have|has|found) (?:the|a) (?:rope|noose)",
        r"(?:i'm|i am) a burden|(?:want|wants) to give up|hate my life|everyone would be happier",
        r"(?:i'm|i am) (?:so )?done(?: with (?:life|everything|it all))?(?=$|[.,!?])",
        r"(?:doesn't|don't|can't|cannot|do not|does not) see (?:the|any) point(?: any ?more|"
        r" in living| of living| in anything| of anything| in being here)?",
    ),
    # --- danger now --------------------------------------------------------------
    _group(
        "danger_now",
        STRONG,
        r"(?:i'm|i am) not safe",
        r"not safe at home",
        r"(?:don't|do not) know where i am",
        r"(?:i'm|i am|we're|we are) (?:locked in|trapped|being held)",
        r"won't let (?:me|her|him|us) (?:leave|out of|call|phone|ring|get help|tell|go(?= *(?:$|"
        r"[.,!?]| home| anywhere)))",
        rf"(?:my|our) {_RELATIVE}(?:'s| is| has been| have been| been| has gone| went) missing",
        r"(?:she's|he's|she is|he is|she has been|he has been) missing",
        r"(?:dw i|dwi|dydw i|dydy i) ddim yn (?:saff|ddiogel)",
    ),
    _group(
        "danger_now",
        MODERATE,
        r"(?:kicking|banging on|smashing|trying to (?:get|break) (?:in|into)|breaking) (?:the|my|"
        r"our) (?:door|window|house|flat)",
        r"kicking the door in",
        r"outside (?:my|our|the) (?:house|flat|door|room|window)\b.{0,40}\b(?:right now|now|"
        r"tonight)",
        r"(?:right now|tonight)\b.{0,40}\boutside (?:my|our) (?:house|flat|door|room|window)",
        r"(?:they're|he's|she's|they are|he is|someone's|someone is|men are) outside (?:my|"
        r"our) (?:house|flat|door|room|window)",
        r"with (?:bats|knives|a knife|weapons|a machete|a gun)",
        rf"(?:he|she|they|someone)(?:'s| has|'ve| have) got (?:a |an )?{_WEAPON}",
        r"locked in",
        r"(?:hasn't|has not|haven't|not) been home (?:since|for)",
        r"(?:going|gone|went|goes) missing",
        r"missing for (?:days|a day|two days|a week)",
        r"disappear(?:s|ed|ing)? for (?:days|hours|the night|nights|a day|the weekend)",
        r"(?:ran|run|running) away from home",
        r"(?:following|followed|chasing|chased) (?:me|us|my \w+|her|him)\b.{0,30}\b(?:now|"
        r"right now|home|tonight)",
        r"(?:being|been|getting|keeps? getting) (?:followed|chased|hunted)",
        r"(?:can't|cannot|scared to|afraid to) go (?:home|back home)",
        r"(?:mum|mam|mom|dad|parents|carer|nan)(?:'s|s| has| have)? (?:been )?(?:gone|away|"
        r"not been home|not home|out) (?:since|for (?:days|\d+ days|two days|the weekend))",
        r"(?:there's|there is|we've got|we have|got) no food",
        r"(?:coming|come|came|keep coming|keeps coming) (?:to|round to|round) (?:my|our) (?:door|"
        r"house|flat)",
        r"(?:got|has|knows|tracking) my location",
        rf"(?:they're|people are|they are|he's|she's|gang (?:is|are)|someone is|someone's|"
        rf"they've been) after (?:me|him|her|us|my {_RELATIVE})",
        r"yn fy nilyn",
        r"tu allan\b.{0,30}\b(?:nawr|rŵan|rwan|heno)",
        r"(?:scared|afraid|frightened|terrified) to (?:go home|leave the house|go out|walk home|"
        r"go to school)",
    ),
    _group(
        "danger_now",
        WEAK,
        r"right now",
        r"(?:please|someone) (?:help|send (?:someone|help|the police))",
        r"help me",
        r"^help\b",
        r"call the police",
        r"(?:i'm|i am|we're) (?:hiding|on my own|alone|scared|terrified|really scared|so scared|"
        r"frightened|shaking)",
        r"(?:i'm|i am|she's|he's) (?:really |so )?scared",
        r"(?:following|followed|watching|waiting for|chasing) (?:me|us|my \w+)",
        r"(?:don't|do not) want to (?:walk|go) (?:home|back)",
        r"(?:not|isn't|won't) (?:answering|replying|picking up)",
        r"(?:a|some) (?:flat|house) (?:i|we) (?:don't|do not) (?:know|recognise)",
        r"lying about where (?:she|he) is",
        r"(?:took|taken|take) my phone",
        r"(?:can't|cannot) leave",
        r"(?:mae arna i ofn|mae ofn arna i|mae gen i ofn)",
        r"(?:helpwch|help plis|plis help|helpa fi)",
        r"feel (?:unsafe|scared|in danger)",
        r"home alone",
        r"(?:call|ring|get) (?:an|the) ambulance",
        r"help$",
    ),
    # --- threats and coercion ----------------------------------------------------
    _group(
        "threat_or_coercion",
        STRONG,
        rf"{_THEY_WILL} (?:{_VIOLENCE}|come (?:for|after|to|round)) (?:me|him|her|us|you|my|our|"
        rf"his|them|it again)",
        rf"{_THEY_WILL} {_EXPOSE} (?:my|her|his|the|them|it|those|these|everything|ones)",
        r"(?:i'm|i am|he's|she's|we're|i'll|we'll) (?:going to |gonna )?get (?:jumped|stabbed|"
        r"shanked|beaten up|battered|hurt|killed|done in|merked)",
        rf"(?:threaten(?:s|ed|ing)?|threats?) (?:to )?(?:{_EXPOSE}|{_VIOLENCE}|tell)",
        r"(?:knows?|found out) where (?:i|we|my \w+(?: \w+)?|she|he) (?:lives?|goes to school|"
        r"go to school|stays?)",
        r"next time (?:you|she|he|i|we) won't get away",
        r"(?:dead|done|finished) when (?:they|we|he|she) (?:find|catch|see|get)",
        r"(?:know|knows) where (?:you|u) live",
        r"gwybod ble (?:dw i'n|dwi'n|dw i|rydw i'n|rwy'n|mae hi'n|mae e'n|mae o'n|wyt ti'n) byw",
        rf"{_THEY_WILL} make (?:sure )?(?:i|you|she|he|we|me|her|him) (?:never|don't|won't|can't|"
        rf"regret)",
        r"(?:said|saying|says|told (?:them|people|everyone)) to (?:come and get|come for|jump|"
        r"get|stab|batter|beat up) (?:me|him|her|us)",
        r"(?:coming|come) for (?:me|him|her|us)",
        r"(?:said|says|say|saying) (?:he|she|they)(?:'ll| will|'d| would) (?:tell|kill|hurt|stab|"
        r"batter|get)",
        r"unless (?:i|we|she|he) (?:pay|bring|send|give|do|get)",
        r"blackmail(?:ing|ed|s)?",
        r"sextort",
        r"(?:sharing|shared|posting|posted|leaked|leaking|spreading|spread|sent round|"
        r"sending round) (?:my|her|his) (?:pics|nudes|photos|videos|pictures|nude pics)",
        # Welsh
        r"(?:bygwth|mygwth|fygwth|bygythiad)",
        r"(?:byddan nhw|bydd (?:e|o|hi|fe))(?:'n| yn) (?:fy |ei |eu )?(?:brifo|mrifo|lladd|curo|"
        r"nghuro|dod am)",
        r"fy (?:lladd|mrifo|nghuro|nhrywanu)",
    ),
    _group(
        "threat_or_coercion",
        MODERATE,
        r"if (?:i|we|he|she|you) (?:tell|tells|told|say|says|said|talk|talks) (?:anyone|anybody|"
        r"someone|no|the police|my|a teacher|anything)",
        r"if (?:i|we|he|she|you) (?:talk|talks|grass|grasses|snitch|snitches|report|tell)",
        r"(?:told|tells|telling|says|said|saying) (?:me|her|him|us) not to tell",
        r"or (?:it gets worse|else|they'll|he'll|she'll)",
        r"(?:scared|afraid|frightened) (?:of (?:them|him)|to tell)",
        r"(?:grabbed|grab|tried to grab|pinned) (?:me|her|him)",
        rf"{_IMAGES} of (?:me|her|him)",
        r"(?:posting|posted|shared|sharing) my (?:address|location|number)",
        r"(?:i'm|you're|he's|she's|we're) next",
        rf"(?:will|'ll|going to) {_EXPOSE} (?:them|it|my|her|his)",
        r"(?:have|got|has|they've got|he's got) (?:my|her|his) (?:nudes|pics|photos|videos|"
        r"pictures)",
        r"(?:made|makes|forced|forces|make) (?:me|her|him|us) go (?:to|with|round)",
        r"watch (?:your|my|his|her) back",
        r"(?:and|to) not tell (?:us|anyone|anybody|his|her|their|your|my|mum|dad)",
        r"send (?:people|someone|his boys|the boys) (?:to|round)",
        r"os (?:dw i'n|dwi'n|dwi|wna i|ydw i'n) (?:dweud|deud)",
        negatable=False,
    ),
    _group(
        "threat_or_coercion",
        WEAK,
        r"if (?:i|we|he|she) (?:don't|doesn't|stop|stops|won't|refuse|say no)",
        r"(?:can't|cannot) tell (?:anyone|anybody|my mum|my dad)",
        r"no one will believe",
        r"nobody will believe",
        r"figurative_parent_threat",  # "my mum will kill me", kept as a faint signal
        negatable=False,
    ),
    # --- abuse (physical, sexual, neglect) ---------------------------------------
    _group(
        "abuse",
        STRONG,
        r"touch(?:es|ed|ing)? (?:me|her|him)(?!\w)",
        r"(?:com(?:es|ing)|came|gets?|got|getting|climbs?|climbed) into (?:my|her|his) (?:room|"
        r"bed)",
        r"(?:makes?|made|forces?|forced|making) (?:me|her|him) (?:sleep|get) in (?:his|her|"
        r"their) bed",
        r"does (?:stuff|things) to (?:me|her|him)",
        r"rap(?:e|ed|ing)(?!\w)",
        r"sexually (?:abus|assault)\w*",
        r"molest\w*",
        r"expos(?:ed|es|ing) (?:him|her)sel(?:f|ves)",
        r"flash(?:ed|es|ing) (?:me|us|her|him)",
        r"forced (?:him|her)sel(?:f|ves) on",
        r"(?:hold|holds|held|holding|pin|pins|pinned|pinning) (?:me|her|him) down",
        r"(?:watches|watched|watching|films|filmed|filming|photographs|photographed) (?:me|her|"
        r"him) (?:in the (?:shower|bath)|getting changed|changing|undress|naked|sleeping|asleep)",
        r"(?:make|makes|made|making|forces?|forced|forcing) (?:me|her|him|"
        r"us) (?:do (?:sexual )?(?:stuff|things)|touch|watch)",
        r"(?:sends?|sent|sending|showed|shows|showing) (?:me|her|us|him) (?:porn|dick pics|"
        r"pics of (?:him|his)|videos of (?:him|his))",
        survives_history=True,
    ),
    _group(
        "abuse",
        STRONG,
        r"(?:hits?|hitting|beats?|beating|beaten|punch(?:es|ed|ing)?|kicks|kicked|kicking|slaps?|"
        r"slapped|slapping|chokes?|choked|choking|strangl(?:es|ed|ing)|batter(?:s|ed|ing)|hurts|"
        r"hurting|burns|burned|burnt) (?:me|my (?:mum|mam|mom|sister|brother)|us)",
        r"(?:hits|hitting|beats|beating|punches|punching|kicks|kicking|slaps|slapping|chokes|"
        r"choking|strangles|batters|battering) (?:her|him)",
        r"(?:been|keeps|kept|started) (?:hitting|beating|hurting|punching|kicking) (?:me|her|him|"
        r"us)",
        r"pushed (?:me|her|him) (?:down|over|into|against)",
        r"locks? (?:me|her|him) (?:out|in)",
        r"(?:gave|given|give|gives) (?:me|her|him) (?:a black eye|bruises|a beating|a kicking|"
        r"a slap|a fat lip)",
        r"(?:throws?|threw|throwing) (?:things|stuff|plates|bottles) at (?:me|her|him|us)",
        r"pulls? (?:my|her|his) hair|dragged (?:me|her|him)",
        r"(?:fy|yn fy|ei) (?:nharo|mwrw|mrifo|nghuro|nghicio|tharo|churo)",
        r"(?:cam|gam|ngham|cham)-?drin",
        r"cyffwrdd (?:â|a) (?:fi|mi|hi|fe|fo)",
    ),
    _group(
        "abuse",
        MODERATE,
        r"(?:doesn't|don't|won't|never) (?:feed|let me eat)",
        r"(?:haven't|hasn't|not|havent) eaten (?:in|for) (?:days|\d+ days|a day|two days)",
        r"no food in (?:the|our) house",
        r"left (?:me|us|her|him) (?:alone|on (?:my|our|her|his) own) for (?:days|the weekend|"
        r"\d+ days|a week)",
        r"(?:sleeping|slept|sleep) (?:rough|on the streets?|outside|at the (?:bus|train) station|"
        r"in (?:a|the) park)",
        r"(?:our|their|it's our|it's their|a) secret",
        r"between (?:us|you and me)",
        r"abus(?:e|ed|ing|ive)",
        r"groom(?:s|ed|ing)? (?:me|her|him|them|kids|children|my \w+)",
        r"(?:being|getting|been|is|was) groomed",
        r"(?:hit|hurt|punched|kicked|slapped|beat) (?:me|her|him)",
        rf"(?:got|been|was|were|get|gets|getting|being) {_ASSAULTED}",
        r"(?:got|getting|gets|being|been) (?:hit|smacked|slapped|whipped|hurt)",
        r"bruis(?:es|ed|ing) on (?:her|his|my|their) (?:face|arms?|legs?|neck|back|body)",
        r"(?:send|sending|take|taking) (?:me|her|him) (?:abroad|back home|away) to",
        r"(?:don't|doesn't|didn't) want to talk about (?:it|what happened)",
        r"(?:is|being|been|was|are|were) (?:trafficked|exploited|coerced|used)",
        r"jumped (?:me|him|her|us)",
        r"making it up",
        r"(?:says|said|tells me|told me) (?:it's|its) (?:normal|our secret|what (?:families|"
        r"people|grown ups) do)",
        r"(?:is|gets|getting) violent",
        r"scared of (?:my|her|his) (?:dad|mum|mam|stepdad|step-dad|stepmum|uncle|brother|"
        r"boyfriend|partner)",
        r"(?:things|stuff) (?:i|she|he) (?:don't|doesn't|didn't) want",
        r"(?:comes?|came|coming) (?:home|back) with (?:injuries|bruises|cuts|a black eye|marks|"
        r"burns)",
        r"made (?:me|her|him) (?:feel )?(?:uncomfortable|weird|scared)",
    ),
    _group(
        "abuse",
        WEAK,
        r"bruis(?:e|es|ed|ing)",
        r"kicked (?:me )?out",
        r"(?:nowhere|anywhere) (?:else )?to (?:go|stay|sleep)",
        r"(?:don't|do not) have anywhere",
        r"won't (?:talk|say) about it",
        r"(?:came|come|comes) back (?:really |all )?(?:weird|upset|quiet|different|crying|hurt)",
        r"(?:been|keeps|keep) crying",
        r"passed out",
        r"won't (?:explain|tell (?:us|me|anyone))",
        r"nothing (?:she|he|i) can do",
        r"walked into a door|fell down the stairs",
        r"screams? at (?:me|her|him|them|her kids|his kids|the kids)",
        # broad harm vocabulary: novel phrasings with several of these still add up
        r"traffick(?:ed|ing)|exploit(?:ed|ing|ation)|hostage|coerc(?:ed|ion)|manipulat(?:ed|ing)|"
        r"controlling|unsafe|abuser",
        r"(?:don't|doesn't) want to go (?:to|back to|near) (?:the|school|that|his|her)",
        r"back room",
    ),
    # --- sexual exploitation -----------------------------------------------------
    _group(
        "sexual_exploitation",
        STRONG,
        r"be (?:nice|friendly|good|kind) to (?:them|him|his (?:mates|friends)|their (?:mates|"
        r"friends))",
        r"(?:sleep|sleeping|slept|have sex|having sex|had sex) with (?:his|their|him|them|older|"
        r"men)",
        rf"(?:ask(?:s|ing|ed)?|want(?:s|ing|ed)?|beg(?:s|ging|ged)?|pressur\w+|make?s?|made|"
        rf"tell(?:s|ing)?|told)(?: (?:me|her|him|them|us))? (?:for|to send|send)(?: (?:me|him|"
        rf"them|her))? (?:some |more )?{_IMAGES}",
        rf"(?:send|sent|sending|sends) (?:me |him |her |them )?(?:some |more )?{_EXPLICIT}",
        r"(?:do|doing|did) (?:things|stuff) for (?:him|them|money)",
        r"passed (?:round|around)",
        r"(?:stay|stays|staying) upstairs",
        r"takes? (?:them|her|girls|me) upstairs",
        r"(?:can|could) stay if (?:i|she|he)",
        r"(?:delete|hide) the (?:chats|messages|texts)",
        r"(?:is|she's|he's|i'm|i am) (?:being|getting) groomed",
        r"(?:gofyn|anfon|yrru)(?: i \w+(?: \w+){0,2})? (?:am )?(?:luniau|lluniau|noethluniau|"
        r"fideos)",
    ),
    _group(
        "sexual_exploitation",
        MODERATE,
        rf"(?:gives?|giving|gave|buys?|buying|bought|offer(?:s|ed|ing)?|hands? out|"
        rf"handing out)(?: \S+){{0,5}}? {_RISKY_GIFTS}",
        r"(?:getting|gets|got|keeps getting) (?:free stuff|free vapes|new (?:trainers|clothes|"
        r"stuff|phones?)|a new phone|gifts|presents|vapes)",
        r"(?:came|comes|come|coming) (?:back|home) with (?:£\d+|money|cash|a new phone|"
        r"new (?:stuff|clothes|trainers))",
        r"(?:boyfriend|girlfriend|bf|gf|partner) (?:who's|who is|is|'s) (?:about |"
        r"like )?(?:1[89]|[2-5]\d)(?! ?(?:mins?|minutes|%))",
        r"gets? (?:girls|them|her|him) drunk",
        r"(?:picked up|dropped off|collected) by (?:(?:different|older|random|some|strange|"
        r"unknown|grown|adult|two|three) )*(?:men|man|guys|adults|strangers|a man|an older|him)",
        r"(?:keeps|kept) pulling up",
        r"(?:get|got|gets|getting|goes|going|went) (?:\w+ ){0,3}(?:in|into) (?:(?:his|the|a|"
        r"their|different|strangers'|men's) )?(?:cars?|vans?|motors?)",
        r"(?:showed|shows|showing) (?:him|her|me|us|them) (?:videos|pictures|pics|photos|porn|"
        r"things)",
        r"(?:hotel|airbnb|b&b|flat|house)\b.{0,30}\bwith (?:a man|an older|older|men|a guy|"
        r"some guy|some man|adults)",
        r"(?:took|take|takes|taken|taking) (?:me|him|her|us|them) (?:back )?to (?:a|some|this|"
        r"their|his|an) (?:flat|house|party|hotel|address)",
        r"(?:asked|asking|tried|trying|offered|offering|wanted)\b.{0,40}\b(?:get in|a lift|"
        r"come and see)",
        r"(?:ask|asks|asked|asking|tells|told|telling|wants|wanted) (?:me|her|him|us|"
        r"my \w+) to come (?:in|into|inside|upstairs|round|back|with him|to his|to their|over)",
        r"mature for (?:her|his|your|my) age",
        r"moved (?:between|round|around) (?:flats|houses|cities|towns|addresses)",
        r"(?:send|sent|sending|asks? for|asking for|wants?) (?:him |them |her |me )?(?:pics|"
        r"photos|pictures|videos)",
        _EXPLICIT,
        r"(?:rhoi|rho) (?:fêps|feps|alcohol|diod|sigaréts|cyffuriau)",
        r"(?:film|filming|filmed|films) (?:it|her|them|me)",
        r"noethluniau",
    ),
    _group(
        "sexual_exploitation",
        WEAK,
        # adults only: "older lads" hanging about are usually other teenagers
        r"(?:older|grown|adult) (?:man|men|guy|guys|bloke|blokes|woman|women)",
        r"(?:man|men|guy|guys|woman|women|people|lads) in (?:his|her|their) (?:20s|30s|40s|50s|"
        r"twenties|thirties|forties|fifties)",
        r"(?:unknown|random|strange) (?:adults|men|man|guys|people)|strangers",
        r"(?:messaging|messages|texting|snapchatting|dming) (?:her|him|me|my \w+|girls)",
        r"meet(?:ing)? (?:him|them|a man|up with (?:him|a man|older))",
        r"met (?:him |her |them |a man )?online",
        r"lifts? in (?:his|their|a) (?:car|van)",
        rf"(?:gives?|giving|gave|buys?|buying|bought|offer(?:s|ed|"
        rf"ing)?)(?: \S+){{0,5}}? {_ORDINARY_GIFTS}",
        r"buys (?:her|him|me) everything",
        r"picks (?:her|him|me) up",
        r"won't say (?:who|where) (?:from|it's from|he got)",
        r"never says where from",
        r"(?:dyn|dynion) (?:hŷn|hyn|mewn oed)",
        r"(?:rhoi|rho) (?:arian|anrhegion|lifft)",
        r"yn ei (?:gar|fan)",
        r"mynd â hi",
        r"anfon negeseuon",
        r"add (?:him|them|her) on (?:snap|snapchat|insta|instagram|whatsapp|discord|telegram|kik)",
        r"(?:sent|sends|gave|gives|buying|bought) (?:me|him|her) (?:robux|v-?bucks|gift cards|"
        r"credit|top ?ups?)",
        r"says (?:he|she) loves (?:me|her|him)",
        r"off school for (?:days|weeks|a week|two weeks|\d+ (?:days|weeks))",
    ),
    # --- criminal exploitation ---------------------------------------------------
    _group(
        "criminal_exploitation",
        STRONG,
        r"(?:say|says|said|saying|telling|told|reckons?) (?:that )?(?:i|we|he|"
        r"she) (?:still )?owes?",
        r"(?:i|we) (?:still )?owe (?:(?:a|this|some|these|the|that) )?(?:guy|man|lad|lads|gang|"
        r"dealer|people|group|him|them|her|money|\d+|£)",
        r"(?:do|doing|did|done|go on|make) (?:a|one more|another|the|some|these|more) runs?",
        r"go(?:ing)? on (?:a )?runs?",
        r"run (?:a|the) (?:package|parcel|bag)",
        r"going (?:country|ot)",
        rf"(?:made|make|makes|making|forced|forcing|force|told|tells|want|wants|wanted|asked|"
        rf"asks|got|gets|has) {_KIDS} (?:to )?(?:hold|keep|carry|hide|sell|deliver|stash|store|"
        rf"bag up|run|move|drop|take|plug|stay|steal|deal|work|fight)",
        r"(?:hold|holding|keep|keeping|hide|hiding|stash|stashing|look after|looking after|store|"
        r"storing) (?:stuff|things|it|drugs|weed|a bag|bags|knives|a knife|a blade|a phone|"
        r"packages?|parcels?|gear) (?:for (?:him|them|her)|at (?:my|our|his|their) (?:house|"
        r"place)|under (?:my|his|her) bed)",
        r"holding for (?:him|them)",
        r"(?:made|forced|being made|being forced|having|have|has|got) to (?:sell|deal|stay|hold|"
        r"carry|run|work) (?:for (?:him|them)|drugs|weed|stuff)",
        r"(?:made|forced|being made|being forced) to (?:sell|deal|stay|hold|carry|run)",
        r"(?:i've|i have|he's|she's|we've|he has|she has) got to (?:work|sell|deal|run|hold) for",
        r"sell(?:ing)? (?:for (?:them|him)|drugs|weed|stuff for)",
        r"sent (?:up |down )?to\b.{0,30}\bto (?:sell|deal)",
        r"(?:sending|sent|send|sends|take|takes|taking|took) (?:me|him|her|us|them|"
        r"my \w+) (?:up |down |out )?to (?:other|another|different) (?:towns?|cities|city|places|"
        r"areas)",
        r"(?:kept|keeping|being kept|held) (?:at|in) (?:a|the) (?:trap|trap house|house|flat)",
        r"(?:stay|staying) (?:at|in) (?:a|the) trap",
        r"work (?:it|that|this) off",
        r"pay (?:it|that|this) back",
        r"(?:can't|cannot) get out",
        r"part of it now",
        r"plug(?:ging)? (?:it|them|drugs|stuff)",
        # Welsh
        r"rhaid i (?:fi|mi) (?:gario|werthu|gadw|ddal|ddelio)",
        r"(?:fy|ei|eu) (?:ngorfodi|gorfodi|orfodi) i",
        r"gwneud i (?:fi|mi|fo|fe|hi|e|ni) (?:gadw|gario|werthu|ddal|guddio|ddelio|gymryd)",
        r"(?:cael|fy|ei) (?:gadw|nghadw|chadw) (?:mewn|yn)",
    ),
    _group(
        "criminal_exploitation",
        MODERATE,
        r"owes? (?:him|them|her|money|\d+|£\d+)",
        r"what (?:i|he|she|her \w+|his \w+) owes?",
        r"(?:on|owe|owes) tick",
        r"(?:take|taking|took|drop|dropping|deliver|delivering|carry|carrying|bring|move|"
        r"moving) (?:a |the |some )?(?:parcels?|packages?|bags?|stuff|drugs|gear) (?:to|off|for|"
        r"on)",
        r"deliver(?:ing)? (?:packages|parcels|stuff)",
        rf"(?:carr(?:y|ies|ying)|has to carry|got to carry|holds?|holding|"
        rf"started carrying) (?:a |the )?{_WEAPON}",
        r"bag(?:ging)? up",
        r"(?:trapping|shotting|serving up|cheffing|cuckoo(?:ed|ing))",
        r"(?:who|someone|they|people|he|she) (?:sent|sends|send) (?:him|her|me|them) (?:there|to)",
        rf"(?:caught|arrested|found|stopped|picked up) (?:\w+ ){{0,4}}with (?:drugs|weed|a knife|"
        rf"knives|cash|a weapon|a blade|{_WEAPON})",
        r"trap ?(?:house|phone|line)",
        r"phone that keeps ringing",
        r"(?:do|doing) jobs",
        r"work(?:ing)? for (?:them|him)",
        r"pays? (?:us|me|him|her) in",
        r"train ticket",
        r"(?:taking|takes|took) (?:him|her) away",
        r"brought (?:him|her) back from",
        r"(?:cario|gario) (?:pecyn|pecynnau|cyffuriau|bag|cyllell)",
        r"arna i arian",
        r"mewn dyled",
        r"gwerthu cyffuriau",
    ),
    _group(
        "criminal_exploitation",
        WEAK,
        r"county lines?",
        r"debts?",
        r"(?:out|stays out) (?:till|until) (?:[1-6](?:am)?|the morning|late)",
        r"stays? out all night",
        r"new (?:trainers|phone|clothes)",
        r"wants? (?:me|him|her) to go to",
        r"loads of (?:cash|money)",
        r"dyled",
        r"excluded",
        r"hanging (?:round|around|about) with (?:older|men|adults)",
    ),
)

_ALL_TRIGGERS = frozenset(t for g in _CUE_GROUPS for c in g.cues if c.triggers for t in c.triggers)

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


@dataclass(frozen=True)
class _TextIndex:
    """Sentence spans and, for each trigger string present, the sentences containing it."""

    sentences: tuple[tuple[int, int], ...]
    trigger_sentences: dict[str, frozenset[int]]

    @classmethod
    def build(cls, text: str) -> _TextIndex:
        sentences = tuple((m.start(), m.end()) for m in _SENTENCE_SPLIT_RE.finditer(text))
        starts = [start for start, _ in sentences]
        found: dict[str, frozenset[int]] = {}
        for trigger in _ALL_TRIGGERS:
            position = text.find(trigger)
            indices = set()
            while position >= 0:
                indices.add(bisect_right(starts, position) - 1)
                position = text.find(trigger, position + 1)
            if indices:
                found[trigger] = frozenset(indices)
        return cls(sentences, found)

    def regions_for(self, cue: _Cue) -> list[tuple[int, int]]:
        """Sentences where the cue could match (all of them if it has no triggers)."""
        if cue.triggers is None:
            return list(self.sentences)
        found = cue.triggers & self.trigger_sentences.keys()
        if not found:
            return []
        indices = set().union(*(self.trigger_sentences[t] for t in found))
        return [self.sentences[i] for i in sorted(indices)]


def _group_matches(group: _CueGroup, text: str, index: _TextIndex) -> list[re.Match[str]]:
    """Matches of a group's cues, leftmost-longest and non-overlapping (one hit per phrase).

    Cues run sentence by sentence, and only in sentences holding one of their triggers.
    """
    matches = [
        match
        for cue in group.cues
        for start, end in index.regions_for(cue)
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
    index = _TextIndex.build(text)
    hits: list[CueHit] = []
    seen: set[tuple[str, str]] = set()
    for group in _CUE_GROUPS:
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
