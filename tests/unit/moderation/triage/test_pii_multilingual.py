"""Personal details in all seven languages the platform serves, and hard negatives.

Every sentence here was written fresh for these tests (not taken from the shared eval
sets). Each miss family from the outside check has cases in each language: names at the
start of a sentence, lower-case names and nicknames, handles without an @, lower-case
vehicle registrations, named blocks of flats and lower-case school names.
"""

from __future__ import annotations

import pytest

from app.moderation.triage.pii import find_personal_details


def found(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end]) for s in find_personal_details(text)]


def covers(text: str, kind: str, detail: str) -> bool:
    """A span of ``kind`` overlaps the first occurrence of ``detail`` (the eval rule)."""
    start = text.index(detail)
    end = start + len(detail)
    return any(
        s.kind == kind and s.start < end and start < s.end for s in find_personal_details(text)
    )


FOUND = [
    # --- English ---------------------------------------------------------------------
    ("en", "Kacper keeps waiting outside the shop for my sister.", "person_name", "Kacper"),
    ("en", "Tayo said the older lads made him hold a bag.", "person_name", "Tayo"),
    ("en", "me and jaden got chased by them lot last night", "person_name", "jaden"),
    ("en", "my mate shay got jumped near the chippy", "person_name", "shay"),
    ("en", "his snap is jay_b_07 and he keeps adding year 8s", "social_handle", "jay_b_07"),
    ("en", "her username is skyrah and she posts where she is", "social_handle", "skyrah"),
    ("en", "follow them on snap, it's dredz.og", "social_handle", "dredz.og"),
    ("en", "they message from bigmanting_ every night", "social_handle", "bigmanting_"),
    ("en", "the car was ab12cde and it was parked up for hours", "vehicle_reg", "ab12cde"),
    ("en", "a silver van, yc21 hkt, follows the girls home", "vehicle_reg", "yc21 hkt"),
    (
        "en",
        "Men keep going in and out of Jubilee House at night.",
        "street_address",
        "Jubilee House",
    ),
    (
        "en",
        "the lifts in Nelson Court have been broken for weeks",
        "street_address",
        "Nelson Court",
    ),
    ("en", "kids hang around the stairs of Tower Block B", "street_address", "Tower Block B"),
    ("en", "she lives in flat 12, Wren Heights with her nan", "street_address", "Wren Heights"),
    ("en", "i got followed home from bramley high today", "school_name", "bramley high"),
    (
        "en",
        "there's a man hanging round the gates at moorside primary",
        "school_name",
        "moorside primary",
    ),
    ("en", "my brother goes to eastfield academy and hates it", "school_name", "eastfield academy"),
    ("en", "miss patel at the youth club is lovely", "person_name", "patel"),
    ("en", "Ask for Imani Okoye at the front desk.", "person_name", "Imani Okoye"),
    # --- Welsh ------------------------------------------------------------------------
    ("cy", "Mae Gethin yn cael ei fwlio ar y bws bob bore.", "person_name", "Gethin"),
    ("cy", "Lowri sy'n cerdded adre ar ei phen ei hun.", "person_name", "Lowri"),
    ("cy", "mae fy ffrind cadi wedi cael negeseuon cas", "person_name", "cadi"),
    ("cy", "Mae fy nghyfnither Elan yn ofnus iawn.", "person_name", "Elan"),
    ("cy", "ei snap e yw bryn_bach22 ac mae'n anfon lluniau", "social_handle", "bryn_bach22"),
    ("cy", "Ei gyfrif ar insta yw deio.sglefrio", "social_handle", "deio.sglefrio"),
    ("cy", "mae car gwyn cf19xrt tu allan i'r ysgol bob dydd", "vehicle_reg", "cf19xrt"),
    (
        "cy",
        "Mae dynion yn mynd i mewn i Llys Derwen yn hwyr y nos.",
        "street_address",
        "Llys Derwen",
    ),
    ("cy", "Mae'r lifft yn Tudor Court wedi torri eto.", "street_address", "Tudor Court"),
    ("cy", "mae dyn yn aros tu allan i ysgol bro taf bob prynhawn", "school_name", "ysgol bro taf"),
    (
        "cy",
        "Mae fy merch yn Ysgol Gymraeg Pen-y-groes.",
        "school_name",
        "Ysgol Gymraeg Pen-y-groes",
    ),
    ("cy", "Roedd Mrs Parri yn garedig iawn wrthon ni.", "person_name", "Mrs Parri"),
    # --- Polish -----------------------------------------------------------------------
    ("pl", "Zuzia boi się wracać sama ze szkoły.", "person_name", "Zuzia"),
    ("pl", "Mój kolega Bartek dostaje groźby na Snapchacie.", "person_name", "Bartek"),
    ("pl", "moja siostra wiktoria nie wraca na noc do domu", "person_name", "wiktoria"),
    ("pl", "Martwię się o Oliwię, bo spotyka się z dorosłym facetem.", "person_name", "Oliwię"),
    ("pl", "Trener pan Kowalczyk bardzo nam pomógł.", "person_name", "Kowalczyk"),
    ("pl", "Jego nick to szybki_kuba07, pisze do dzieci.", "social_handle", "szybki_kuba07"),
    ("pl", "jej insta to ola.rysuje i on ciągle tam pisze", "social_handle", "ola.rysuje"),
    ("pl", "Czarne auto vx68kwd stoi pod szkołą codziennie.", "vehicle_reg", "vx68kwd"),
    (
        "pl",
        "Mieszkamy w Lambert House i na klatce jest strasznie.",
        "street_address",
        "Lambert House",
    ),
    (
        "pl",
        "Syn chodzi do hillcrest academy i ktoś na niego czeka.",
        "school_name",
        "hillcrest academy",
    ),
    (
        "pl",
        "Dzieci ze Szkoły Podstawowej nr 3 czekają na autobus.",
        "school_name",
        "Szkoły Podstawowej nr 3",
    ),
    # --- Romanian ---------------------------------------------------------------------
    ("ro", "Andreea nu mai vrea să meargă la școală.", "person_name", "Andreea"),
    ("ro", "Prietenul meu Răzvan e amenințat de niște băieți.", "person_name", "Răzvan"),
    ("ro", "fratele meu vlad stă afară toată noaptea", "person_name", "vlad"),
    ("ro", "Un bărbat o așteaptă pe Bianca după ore.", "person_name", "Bianca"),
    ("ro", "Doamna Popescu de la bibliotecă ne ajută mult.", "person_name", "Doamna Popescu"),
    ("ro", "Contul lui de TikTok este marius_vlogs21.", "social_handle", "marius_vlogs21"),
    ("ro", "mașina lui e gl17 fvz și stă lângă parc", "vehicle_reg", "gl17 fvz"),
    (
        "ro",
        "Locuim în Carlton Court și scara e plină de seringi.",
        "street_address",
        "Carlton Court",
    ),
    (
        "ro",
        "fiica mea merge la greenway primary și cineva o urmărește",
        "school_name",
        "greenway primary",
    ),
    ("ro", "Username-ul lui e ionut.drift", "social_handle", "ionut.drift"),
    # --- Somali -----------------------------------------------------------------------
    ("so", "Xamza wuxuu ku yaal beerta habeenkii oo dhan.", "person_name", "Xamza"),
    ("so", "saaxiibkay hodan waxaa loo diray farriimo xun", "person_name", "hodan"),
    ("so", "Walaalkay Cabdi ayaa la hanjabay.", "person_name", "Cabdi"),
    ("so", "Akoonkiisa snap waa warsame_x9", "social_handle", "warsame_x9"),
    ("so", "Baabuur madow kr70 plm ayaa dugsiga ag taagan.", "vehicle_reg", "kr70 plm"),
    (
        "so",
        "Waxaan ku nool nahay Milton Court, jaranjarada waa mugdi.",
        "street_address",
        "Milton Court",
    ),
    ("so", "Wiilkayga wuxuu dhigtaa ashgrove academy.", "school_name", "ashgrove academy"),
    ("so", "Macallin Faarax ayaa na caawiyay.", "person_name", "Faarax"),
    # --- Urdu (Roman letters) -----------------------------------------------------------
    ("ur", "Mera dost Kamran bohat dara hua hai.", "person_name", "Kamran"),
    ("ur", "Ayesha ko school ke bahar ek aadmi roz milta hai.", "person_name", "Ayesha"),
    ("ur", "meri behen hira ko koi message karta hai", "person_name", "hira"),
    ("ur", "Uska snap hai baba_g786, woh bachon ko add karta hai", "social_handle", "baba_g786"),
    ("ur", "ek safaid gaari lm19xtr roz park ke paas khari hoti hai", "vehicle_reg", "lm19xtr"),
    (
        "ur",
        "Hum Victoria Heights mein rehte hain, seedhiyan andheri hain.",
        "street_address",
        "Victoria Heights",
    ),
    (
        "ur",
        "Mera beta parkside high mein parhta hai aur usay dhamki mili.",
        "school_name",
        "parkside high",
    ),
    ("ur", "Imran bhai ne humari madad ki.", "person_name", "Imran"),
    # --- Urdu (Arabic script) -------------------------------------------------------------
    ("ur", "میری بہن زینب کو کوئی دھمکیاں دے رہا ہے۔", "person_name", "زینب"),
    ("ur", "کامران کو اسکول کے باہر ایک آدمی ملتا ہے۔", "person_name", "کامران"),
    ("ur", "اس کا snap ہے zaini_22", "social_handle", "zaini_22"),
    ("ur", "ہم Maple Court میں رہتے ہیں۔", "street_address", "Maple Court"),
    # --- Arabic -------------------------------------------------------------------------
    ("ar", "صديقي خالد خايف يطلع من البيت.", "person_name", "خالد"),
    ("ar", "أختي مريم تجيها رسائل من رجل كبير.", "person_name", "مريم"),
    ("ar", "ولد اسمه عمر ينتظر عند المدرسة كل يوم.", "person_name", "عمر"),
    ("ar", "حسابه في سناب sami.q8", "social_handle", "sami.q8"),
    ("ar", "فيه سيارة ya18 dkp واقفة عند الحديقة كل ليلة.", "vehicle_reg", "ya18 dkp"),
    ("ar", "نسكن في Harlow House والدرج مظلم.", "street_address", "Harlow House"),
    ("ar", "ابني يدرس في kingsway primary وفي رجل يراقبه.", "school_name", "kingsway primary"),
    ("ar", "الأستاذ يوسف ساعدنا كثير.", "person_name", "يوسف"),
]


@pytest.mark.parametrize(("lang", "text", "kind", "detail"), FOUND)
def test_personal_details_are_found_in_every_language(
    lang: str, text: str, kind: str, detail: str
) -> None:
    assert covers(text, kind, detail), f"[{lang}] {kind} {detail!r} not found: {found(text)}"


NOTHING_TO_FIND = [
    # English: sentence-start words, places, times, buses and prices
    ("en", "Honestly the park is fine in the day."),
    ("en", "Grace periods for fines should be longer at the leisure centre."),
    ("en", "Will anyone fix the lights on Park Road?"),
    ("en", "Meet at 10 by the library, it's safer there."),
    ("en", "The 38 is always packed after school."),
    ("en", "Chips cost £3.50 now which is mad."),
    ("en", "Mark my words, someone will get hurt at the crossing."),
    ("en", "Victoria Park needs better lighting near the gates."),
    ("en", "Sunny days the rec gets really busy with families."),
    ("en", "the bus at 5.30 is the last one back from town"),
    ("en", "Crown Court was in the news about the estate."),
    ("en", "Kings Cross is a long way from here."),
    ("en", "After school we go to the youth club on Church Street."),
    ("en", "my snap got hacked so i deleted it"),
    ("en", "prices are so high in the shop by the station"),
    # Welsh words that look like names
    ("cy", "Pam does dim goleuadau yn y parc?"),
    ("cy", "Mae'r bws 38 yn hwyr bob nos."),
    ("cy", "Mae o dan y bont gyda'i ffrindiau bob nos."),
    ("cy", "Dw i'n mynd i'r ysgol ar y bws am 8."),
    ("cy", "Mae'r parc ar Heol y Parc yn dywyll."),
    ("cy", "Ysgol Sul yn y capel bob wythnos, mae'n hyfryd."),
    # Polish words that look like names
    ("pl", "Bez świateł w parku jest strasznie po zmroku."),
    ("pl", "Autobus 38 zawsze się spóźnia."),
    ("pl", "Pan z kiosku jest miły dla dzieci."),
    ("pl", "Ale tu jest ciemno wieczorem, strach wyjść!"),
    ("pl", "Bilet kosztuje £2 i to za dużo dla dzieci."),
    # Romanian
    ("ro", "Mai multe lumini ar ajuta în parc seara."),
    ("ro", "Autobuzul 38 vine la 10 și e plin."),
    ("ro", "Mare parte din parc e întunecată seara."),
    # Somali
    ("so", "Beerta waa mugdi habeenkii, nalal ayaa loo baahan yahay."),
    ("so", "Baska 38 wuu soo daahaa mar walba."),
    # Roman Urdu
    ("ur", "Jo log park mein baithte hain woh shor karte hain."),
    ("ur", "Sara din bachay bahar khelte hain, acha lagta hai."),
    ("ur", "Zara dekhiye, yahan roshni bilkul nahi hai."),
    ("ur", "Bus 38 hamesha late hoti hai."),
    # Urdu and Arabic script
    ("ur", "پارک میں رات کو بہت اندھیرا ہوتا ہے۔"),
    ("ur", "بڑی عمر کے لوگ وہاں بیٹھتے ہیں۔"),
    ("ar", "الحديقة مظلمة في الليل ونحتاج إنارة."),
    ("ar", "الباص رقم 38 دايم متأخر."),
    ("ar", "نور الشارع مطفي من أسبوع."),
]


@pytest.mark.parametrize(("lang", "text"), NOTHING_TO_FIND)
def test_texts_without_personal_details_are_left_alone(lang: str, text: str) -> None:
    assert found(text) == [], f"[{lang}] flagged: {found(text)}"
