"""Urgent disclosure detection: specific, current harm is urgent; figures of speech,
history, general place descriptions and structural complaints are not."""

from __future__ import annotations

import pytest

from app.moderation.triage import detect_disclosure, explain_disclosure, lexicon
from app.moderation.triage import disclosure as disclosure_module
from app.moderation.triage.prefilter import required_literals


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # criminal exploitation
        (
            "He says I still owe him and I have to do one more run this weekend.",
            "criminal_exploitation",
        ),
        ("Older lads made my brother hold a bag for them. He's 11.", "criminal_exploitation"),
        ("they keep sending me to other towns with a bag", "criminal_exploitation"),
        ("my cousin makes me keep a bag under my bed, im 14", "criminal_exploitation"),
        (
            "I'm being made to stay at a house in another town and sell for them.",
            "criminal_exploitation",
        ),
        # sexual exploitation
        ("She has to 'be nice to them' because of what her boyfriend owes.", "sexual_exploitation"),
        (
            "A man gives my friend vapes and lifts in his car. She's 14 and he's about 20.",
            "sexual_exploitation",
        ),
        ("my bf is 24 and says if i loved him i'd send him pics. im 14", "sexual_exploitation"),
        # threats and coercion
        ("They said if I tell anyone they'll come to my house.", "threat_or_coercion"),
        (
            "They've got videos of me and say they'll send them to everyone unless I pay.",
            "threat_or_coercion",
        ),
        ("someone's saying my brother is dead when they find him", "threat_or_coercion"),
        # abuse
        ("My step-dad's friend keeps coming into my room when he stays over. I'm 13.", "abuse"),
        ("I'm 14 and my mum's boyfriend hits me when she's at work.", "abuse"),
        ("My stepdad watches me in the shower and says it's normal. I'm 12.", "abuse"),
        # self-harm
        ("I don't think I can keep going. I've been cutting again.", "self_harm"),
        ("dont want to be here anymore. everyone would be better off without me", "self_harm"),
        ("I just took 20 paracetamol. I don't know what to do.", "self_harm"),
        ("my best mate keeps saying she's going to end it", "self_harm"),
        # danger now
        (
            "Please help, my ex is outside my flat and he's kicking the door in. I'm 17.",
            "danger_now",
        ),
        ("Help, I'm locked in a flat and I don't know where I am.", "danger_now"),
        ("My friend Leah hasn't been home since Friday and she's not answering.", "danger_now"),
    ],
)
def test_specific_current_harm_is_urgent_with_its_reason(text: str, reason: str) -> None:
    urgent, reasons = detect_disclosure(text)
    assert urgent
    assert reason in reasons


@pytest.mark.parametrize(
    "text",
    [
        "That chippy by the bus station is killer, best chips in town.",
        "I'd die for their wings honestly.",
        "Honestly I'd kill for a decent youth club round here.",
        "This roundabout is a death trap for cyclists.",
        "The ref was murdering us with his decisions lol.",
        "My mum's gonna kill me if she finds out I went to the fair.",
        "My mum always says she'll kill me if I'm late lol.",
        "I nearly died laughing when the pigeon stole his chips.",
        "I could murder a kebab after training.",
    ],
)
def test_figure_of_speech_is_not_urgent(text: str) -> None:
    assert detect_disclosure(text) == (False, ())


@pytest.mark.parametrize(
    "text",
    [
        "Someone got stabbed there two years ago and people still talk about it.",
        "A lad got stabbed outside the chippy back in 2019. It's been fine since.",
        "I used to get bullied on the way home but I moved schools and it's much better now.",
        "I got jumped there last year, but it's been fine since they put cameras up.",
        "Years ago my cousin was groomed online but he went to prison and she's doing great now.",
    ],
)
def test_historic_resolved_incident_is_not_urgent(text: str) -> None:
    assert not detect_disclosure(text)[0]


@pytest.mark.parametrize(
    "text",
    [
        "The park on Mill Lane is dodgy at night. People sit on the benches drinking.",
        "Dealers hang about near the old railway bridge. Everyone knows it.",
        "I worry about the younger kids who hang round the bookies on school nights.",
        "I heard there's county lines stuff going on in town but I don't know anyone involved.",
        "Lots of older lads hang about outside the shop drinking. Not done anything to me.",
        "My son is 12 and he's scared to walk past the shops because older lads hang about.",
        "The bridge has graffiti saying 'kill yourself', please remove it.",
        "There's a self harm support group at the library which is brilliant.",
    ],
)
def test_general_description_of_a_place_is_not_urgent(text: str) -> None:
    assert not detect_disclosure(text)[0]


@pytest.mark.parametrize(
    "text",
    [
        "Got stopped and searched outside school. Third time this term.",
        "The youth club closed last year and now there's nowhere to go after 6.",
        "Street lights on the underpass have been broken since October.",
        "Police stopped my 14 year old son three times this month. We want answers.",
    ],
)
def test_structural_complaint_is_not_urgent(text: str) -> None:
    assert not detect_disclosure(text)[0]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Mae o'n fy mygwth i bob dydd.", "threat_or_coercion"),
        ("Os dw i'n dweud wrth unrhyw un, byddan nhw'n brifo fy mam.", "threat_or_coercion"),
        ("Dw i eisiau marw.", "self_harm"),
        ("Dw i'n meddwl am ladd fy hun.", "self_harm"),
        ("Rhaid i fi gario pecyn i'r dref dydd Sadwrn.", "criminal_exploitation"),
        ("Dwi ddim yn saff. Mae dyn yn fy nilyn i adre.", "danger_now"),
        ("Mae arna i ofn mynd adre achos mae fy nhad yn fy nharo i.", "abuse"),
    ],
)
def test_welsh_disclosure_is_urgent(text: str, reason: str) -> None:
    urgent, reasons = detect_disclosure(text)
    assert urgent
    assert reason in reasons


@pytest.mark.parametrize(
    "text",
    [
        "Dw i bron â marw eisiau bwyd, ond mae'r caffi yn saff.",
        "Bues i bron â marw chwerthin yn y sinema!",
        "Mae fy mam yn mynd i fy lladd i os dw i'n hwyr eto haha.",
        "Mae'r parc ar Heol y Bont yn dywyll iawn yn y nos.",
    ],
)
def test_welsh_figure_of_speech_or_place_concern_is_not_urgent(text: str) -> None:
    assert not detect_disclosure(text)[0]


def test_negated_harm_is_not_urgent() -> None:
    assert not detect_disclosure("My dad drinks a lot and shouts but he's never hurt me.")[0]


def test_parent_hyperbole_still_counts_alongside_a_secrecy_threat() -> None:
    assert not detect_disclosure("My dad will kill me, I missed the bus again")[0]
    assert detect_disclosure("My dad will kill me if I tell anyone what happened")[0]


def test_disclosed_past_sexual_abuse_stays_urgent() -> None:
    urgent, reasons = detect_disclosure("Last year my uncle touched me and I never told anyone.")
    assert urgent
    assert "abuse" in reasons


def test_chat_spellings_and_dropped_letters_are_understood() -> None:
    assert detect_disclosure("i want to kms")[0]
    assert detect_disclosure("i been cuttin myself again")[0]
    assert detect_disclosure("someone's bangin on my door sayin theyre gonna stab me")[0]


def test_minor_age_strengthens_indicators_but_cannot_stand_alone() -> None:
    indicators = "My little brother keeps getting new trainers and won't say who from."
    assert detect_disclosure(indicators)[0]
    assert not detect_disclosure("My little brother is 12 and loves the youth club.")[0]


def test_reasons_are_empty_when_not_urgent() -> None:
    assert detect_disclosure("The library is a good safe place.") == (False, ())


def test_explanation_lists_the_cues_that_fired() -> None:
    assessment = explain_disclosure("He says I owe him and I have to do one more run. I'm 15.")
    assert assessment.urgent
    assert assessment.minor_age
    matched = {hit.matched for hit in assessment.hits}
    assert "says i owe" in matched
    assert "do one more run" in matched
    assert assessment.score >= 3


_PREFILTER_SAMPLES = [
    "He says I still owe him and I have to do one more run this weekend or it gets worse.",
    "my bf is 24 and says if i loved him i'd send him pics. im 14",
    "They said if I tell anyone they'll come to my house and hurt my mum.",
    "I keep cutting myself at night. I want to die. I took 20 paracetamol.",
    "Mae o'n fy mygwth i. Dw i eisiau marw. Rhaid i fi gario pecyn.",
    "they're outside my house right now with knives, please help, I'm hiding",
    "A man gives the year 7s vapes and got my friend into his car. She's 11.",
    "my stepdad hits me and locks me in my room and says it's our secret",
]


@pytest.mark.parametrize("text", _PREFILTER_SAMPLES)
def test_trigger_prefilter_never_hides_a_match(text: str) -> None:
    """Every cue match contains one of the cue's trigger strings, so skipping is safe."""
    normalised = disclosure_module._normalise(text)
    checked = 0
    for group in lexicon.cue_groups():
        for cue in group.cues:
            for match in cue.pattern.finditer(normalised):
                checked += 1
                assert cue.triggers is None or any(t in match.group() for t in cue.triggers)
    assert checked > 0


def test_required_literals_of_simple_patterns() -> None:
    scan = required_literals
    assert scan(r"(?:hits?|beats?) (?:me|her)") == frozenset({"hit", "beat"})
    assert scan(r"(?:hits?|beats?) me") == frozenset({" me"})  # fewest strings wins
    assert scan(r"county lines?") == frozenset({"county line"})
    assert scan(r"(?:a|b)") is None  # too short to be useful: always run


def test_the_lexicon_file_loads_every_reason() -> None:
    groups = lexicon.cue_groups()
    assert {g.reason for g in groups} == set(lexicon.REASON_ORDER)
    assert all(g.cues for g in groups)


def test_fragments_expand_and_mistakes_in_the_lexicon_are_named() -> None:
    text = """
[fragments]
WHO = '(?:him|her)'
[[group]]
reason = "abuse"
weight = "strong"
patterns = ['hits? {{WHO}}']
"""
    (group,) = lexicon.parse_lexicon(text)
    assert group.cues[0].pattern.match("hits her") and group.negatable and not group.survives_history
    with pytest.raises(lexicon.LexiconError, match="unknown fragment"):
        lexicon.parse_lexicon(text.replace("{{WHO}}", "{{WHOM}}"))
    with pytest.raises(lexicon.LexiconError, match="unknown reason"):
        lexicon.parse_lexicon(text.replace('"abuse"', '"abuze"'))
    with pytest.raises(lexicon.LexiconError, match="may not start"):
        lexicon.parse_lexicon(text.replace("'hits?", r"'\bhits?"))
    with pytest.raises(lexicon.LexiconError, match="bad pattern"):
        lexicon.parse_lexicon(text.replace("'hits?", "'(hits?"))
