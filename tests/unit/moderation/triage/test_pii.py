"""Personal-detail detection: what must be found, and what must be left alone."""

from __future__ import annotations

from itertools import pairwise

import pytest

from app.moderation.triage import PII_KINDS, Span, find_personal_details


def found(text: str, **gazetteers: list[str]) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end]) for s in find_personal_details(text, **gazetteers)]


def kinds_found(text: str) -> set[str]:
    return {kind for kind, _ in found(text)}


# --- phone numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("His number is 07700 900412 if you need it", "07700 900412"),
        ("text me on 07700900123 later", "07700900123"),
        ("my number's 07700 900 123", "07700 900 123"),
        ("ring 07700-900-642 now", "07700-900-642"),
        ("call +44 7700 900318 anytime", "+44 7700 900318"),
        ("or +447700900234", "+447700900234"),
        ("Ring 0113 496 0318 about the meeting", "0113 496 0318"),
        ("office is (0113) 496 0123", "(0113) 496 0123"),
        ("London line 020 7946 0731", "020 7946 0731"),
    ],
)
def test_mobile_and_landline_numbers_in_common_forms_are_found(text: str, number: str) -> None:
    assert ("phone", number) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "The driver on the 86 is always rude",
        "Someone got stabbed there in 2019",
        "He owes them £300 and it's due at 07:30",
        "Childline is free on 0800 1111",
        "It happened on 12/03/2024 at about 9pm",
    ],
)
def test_bus_numbers_years_prices_and_short_helplines_are_not_phones(text: str) -> None:
    assert "phone" not in kinds_found(text)


# --- e-mail and links ---------------------------------------------------------------


def test_email_address_is_found_whole() -> None:
    text = "Contact me at sam.riley@example.org if you want help"
    assert found(text) == [("email", "sam.riley@example.org")]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (
            "sessions are on https://example.com/cage-sessions today",
            "https://example.com/cage-sessions",
        ),
        ("details at www.eastsideyouth.org/dropin.", "www.eastsideyouth.org/dropin"),
        ("his page is instagram.com/xyz_99", "instagram.com/xyz_99"),
        ("Visit bit.ly/saferstreets for more", "bit.ly/saferstreets"),
    ],
)
def test_links_with_or_without_scheme_are_found(text: str, url: str) -> None:
    assert ("url", url) in found(text)


def test_email_domain_is_not_reported_again_as_a_link() -> None:
    assert kinds_found("email youthvoice@example.org please") == {"email"}


# --- postcodes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("We live at 9 Orchard Close, KB4 7DL.", "KB4 7DL"),
        ("Post code is CF10 1AA.", "CF10 1AA"),
        ("it was at ls6 2ab near the park", "ls6 2ab"),
        ("Our estate in M14 has nothing for kids", "M14"),
        ("The project is in the LS11 area", "LS11"),
    ],
)
def test_full_postcodes_and_outward_codes_in_context_are_found(text: str, postcode: str) -> None:
    assert ("postcode", postcode) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "the M6 toll was closed again",
        "took the A38 home",
        "meet me b4 5pm by the shops",
        "I'm in year 9 and it's fine",
    ],
)
def test_roads_times_and_school_years_are_not_postcodes(text: str) -> None:
    assert "postcode" not in kinds_found(text)


# --- street addresses ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("I live at 14 Carden Road and my mum doesn't know", "14 Carden Road"),
        ("they stay at flat 3b, 21 Hill Street most nights", "flat 3b, 21 Hill Street"),
        ("she lives at Flat 4, 18 Gordon Terrace", "Flat 4, 18 Gordon Terrace"),
        ("a flat at 5a Victoria Terrace by older men", "5a Victoria Terrace"),
        ("i live on 14 carden rd with my nan", "14 carden rd"),
        ("Dw i'n byw yn 7 Heol y Parc.", "7 Heol y Parc"),
        ("Dw i'n byw yn 3 Ffordd y Brenin ac mae", "3 Ffordd y Brenin"),
    ],
)
def test_house_number_and_street_is_an_address(text: str, address: str) -> None:
    assert ("street_address", address) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "The park on Mill Lane is dodgy at night.",
        "The chicken shop on Station Road has CCTV",
        "Mae'r parc ar Heol y Bont yn dywyll iawn",
        "The library on Grace Street is a good safe place",
    ],
)
def test_street_name_alone_is_not_an_address_or_a_name(text: str) -> None:
    assert found(text) == []


def test_counts_before_ordinary_words_are_not_addresses() -> None:
    assert "street_address" not in kinds_found(
        "3 lads walking down the road and 86 bus on Station Road"
    )


# --- vehicle registrations ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reg"),
    [
        ("The car is KX39 TRD.", "KX39 TRD"),
        ("Number plate was AB12CDE", "AB12CDE"),
        ("a white transit, reg R482 KLM, keeps pulling up", "R482 KLM"),
        ("The old Escort with reg ABC 123D has been dumped", "ABC 123D"),
        ("they keep the car, reg kx39trd, outside", "kx39trd"),
    ],
)
def test_current_prefix_and_suffix_registrations_are_found(text: str, reg: str) -> None:
    assert ("vehicle_reg", reg) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "GCSE results day was stressful",
        "We got COVID19 jabs at the centre",
        "NEVER GO DOWN THAT ALLEY AT NIGHT ITS NOT SAFE AT ALL ON A38 TRUST ME",
        "kids in Y10 and Y11 hang out there",
    ],
)
def test_ordinary_words_and_codes_are_not_vehicle_regs(text: str) -> None:
    assert "vehicle_reg" not in kinds_found(text)


# --- social media handles -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("@jaybee_99 keeps posting my address", "@jaybee_99"),
        ("The snap is tazzz.x and it keeps messaging", "tazzz.x"),
        ("my insta is jessxo", "jessxo"),
        ("Add me on snap: lilz_2009x. I need to talk", "lilz_2009x"),
        ("add me on tiktok: dancequeen", "dancequeen"),
        ("sc: dani.rxo keeps asking me", "dani.rxo"),
        ("he's k1ngz_09 on snap", "k1ngz_09"),
        ("Their tiktok is skyla.xo_ . I'm in year 8.", "skyla.xo_"),
    ],
)
def test_handles_with_at_sign_or_platform_cue_are_found(text: str, handle: str) -> None:
    assert ("social_handle", handle) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "my snap is down again",
        "her insta is literally all selfies",
        "meet me @ the park",
        "I deleted snapchat ages ago",
    ],
)
def test_platform_chat_without_a_username_is_not_a_handle(text: str) -> None:
    assert "social_handle" not in kinds_found(text)


# --- person names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mrs Okafor at the shop always lets us wait inside", "Mrs Okafor"),
        ("we were told by PC Walker to leave", "PC Walker"),
        ("Mr O'Brien is the warden", "Mr O'Brien"),
        ("A lad called Kyle Ashby keeps waiting for my friend", "Kyle Ashby"),
        ("yesterday he got my friend Amir into his car", "Amir"),
        ("the new bus marshal, Gary, really helped", "Gary"),
        ("I chair the residents' group, Jean Pryce.", "Jean Pryce"),
        ("Dani the youth worker pops in on Tuesdays", "Dani"),
        ("My friend Tyler O'Connor is 15", "Tyler O'Connor"),
        ("Siân from the council fixed it", "Siân"),
        ("Mae Mrs Hughes yn y llyfrgell yn garedig", "Mrs Hughes"),
        ("kyle keeps waiting for me after school", "kyle"),
        ("im with chloe smith at the rec", "chloe smith"),
        ("my mate keisha says its fine", "keisha"),
    ],
)
def test_titles_cues_and_known_first_names_mark_person_names(text: str, name: str) -> None:
    assert ("person_name", name) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "The bus shelter on Victoria Street has no roof",
        "Lots of lads drink outside the shop on Chester Road",
        "Needles by the swings at Victoria Park again",
        "We went to Barry Island on the train",
        "He got sent to a flat in Barry to sell",
        "May is the best month for the outdoor cinema",
        "Will there be more lights this winter?",
        "Had my bike nicked outside Tesco in March",
        "The Nando's on Bold Street is to die for",
        "Got stopped and searched on Sunday after football",
    ],
)
def test_places_months_brands_and_sentence_words_are_not_names(text: str) -> None:
    assert "person_name" not in kinds_found(text)


def test_lower_case_words_that_are_also_names_are_left_alone_in_chat() -> None:
    assert found("got a msg from nick and rob about the party") == []


@pytest.mark.parametrize(
    "text",
    [
        "mae dyn tu allan i'r tŷ nawr ac mae arna i ofn",
        "mae o dan y bont gyda ei ben i lawr",
    ],
)
def test_lower_case_welsh_words_are_not_read_as_names(text: str) -> None:
    assert found(text) == []


def test_place_gazetteer_stops_a_place_being_read_as_a_person() -> None:
    text = "Kids drink outside Molly Malone every night"
    assert ("person_name", "Molly Malone") in found(text)
    assert found(text, place_names=["Molly Malone"]) == []


# --- school names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "school"),
    [
        ("outside St Anselms High on my way in", "St Anselms High"),
        ("outside st anselm's high school today", "st anselm's high school"),
        ("outside Saint Anselm's High", "Saint Anselm's High"),
    ],
)
def test_gazetteer_school_is_found_despite_apostrophes_case_and_suffix(
    text: str, school: str
) -> None:
    assert ("school_name", school) in found(text, school_names=["St Anselm's High School"])


@pytest.mark.parametrize(
    ("text", "school"),
    [
        ("Parents park outside Hillbrook Primary every day", "Hillbrook Primary"),
        ("My son's school, Greystead Academy, has good staff", "Greystead Academy"),
        ("St. Mary's C of E Primary is lovely", "St. Mary's C of E Primary"),
        ("Ysgol Gyfun Gŵyr has a good youth club", "Ysgol Gyfun Gŵyr"),
    ],
)
def test_school_names_are_recognised_without_a_gazetteer(text: str, school: str) -> None:
    assert ("school_name", school) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "After School I go to the park",
        "Sunday School is in the church hall",
        "Kids walk down the High Street after school",
        "my Secondary School is fine",
    ],
)
def test_generic_school_words_are_not_school_names(text: str) -> None:
    assert "school_name" not in kinds_found(text)


# --- the span contract ---------------------------------------------------------------------


def test_spans_are_sorted_and_never_overlap() -> None:
    text = (
        "Please help, my ex is outside my flat at 22 Linden Court, GW3 5NB. His snap is jay_22, "
        "number 07700 900783, car KX39 TRD, email jay@example.com, and Mrs Okafor saw it."
    )
    spans = find_personal_details(text)
    assert spans == sorted(spans, key=lambda s: s.start)
    assert all(a.end <= b.start for a, b in pairwise(spans))
    assert {s.kind for s in spans} == {
        "street_address",
        "postcode",
        "social_handle",
        "phone",
        "vehicle_reg",
        "email",
        "person_name",
    }


def test_address_wins_over_a_first_name_inside_it() -> None:
    assert found("she lives at 18 Gordon Terrace") == [("street_address", "18 Gordon Terrace")]


def test_text_without_details_gives_no_spans() -> None:
    assert find_personal_details("The park is dodgy at night and the lights don't work.") == []


def test_span_rejects_unknown_kind_and_empty_range() -> None:
    with pytest.raises(ValueError, match="kind"):
        Span("password", 0, 3)
    with pytest.raises(ValueError, match="offsets"):
        Span("phone", 5, 5)
    assert set(PII_KINDS) >= {"phone", "person_name", "school_name"}


def test_a_single_string_gazetteer_is_rejected() -> None:
    with pytest.raises(TypeError):
        find_personal_details("text", school_names="Kingsmead College")
