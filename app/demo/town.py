"""Brackenford: a fictional town for demos and tests. Every name here is invented.

Phone numbers come from Ofcom's ranges reserved for drama (07700 900xxx, 01632 960xxx), and email
addresses use the reserved example.com domain, so nothing here can reach a real person.
"""

from __future__ import annotations

AREA = {
    "slug": "brackenford",
    "name": "Brackenford",
    "default_locale": "en",
    # Every language the app knows is switched on; visitors are offered the shipped ones
    # (app/core/i18n.py), the rest can be previewed at /language/<code>.
    "locales": "en,cy,pl,ur,ar,ro,so",
    "min_cell_count": 5,
    "retention_days": 90,
    "h3_resolution": 8,
    "safeguarding_emails": "safeguarding@brackenford.example",
    "min_lat": 52.555,
    "min_lng": -2.030,
    "max_lat": 52.605,
    "max_lng": -1.955,
    "help_contacts": [
        {"name": "Brackenford Youth Hub", "phone": "01632 960123", "description": "Youth workers, Monday to Saturday, 3pm to 9pm."},
        {"name": "Brackenford Children's Services front door", "phone": "01632 960456", "description": "If you are worried about a child."},
        # An example of a local service that helps in other languages, as an area admin would add it
        # at /staff/admin/help-contacts. Made up, like the whole town, and says so on the page.
        {
            "key": "demo0001",
            "name": "Example only: Brackenford Families Advice Line",
            "phone": "01632 960321",
            "url": "",
            "description": "A made-up service in this demo town, to show how a local service that helps in other languages is listed.",
            "languages": "en,pl,ro,interpreter",
        },
    ],
}

# (name, kind, lat, lng)
PLACES = [
    ("Brackenford High Street", "street", 52.5801, -1.9912),
    ("Foundry Street", "street", 52.5822, -1.9871),
    ("Kestrel Way", "street", 52.5712, -2.0104),
    ("Tanners Row", "street", 52.5856, -1.9950),
    ("Orchard Rise", "street", 52.5671, -1.9733),
    ("Canal Walk", "street", 52.5905, -2.0021),
    ("Mill Lane", "street", 52.5748, -1.9790),
    ("Underpass by the ring road", "street", 52.5779, -2.0043),
    ("Victoria Park", "park", 52.5760, -1.9862),
    ("Heron Fields", "park", 52.5951, -1.9807),
    ("Kestrel Way play area", "park", 52.5705, -2.0121),
    ("Brackenford Academy", "school", 52.5699, -1.9891),
    ("Heronsgate High School", "school", 52.5932, -1.9762),
    ("St Cuthbert's Primary", "school", 52.5830, -2.0090),
    ("Brackenford Bus Station", "transport", 52.5811, -1.9935),
    ("Canal Street tram stop", "transport", 52.5880, -1.9990),
    ("Brackenford railway station", "transport", 52.5786, -1.9700),
    ("Parade shops on Kestrel Way", "shop", 52.5718, -2.0085),
    ("Late-night shop on Foundry Street", "shop", 52.5825, -1.9862),
    ("Chicken shop by the bus station", "shop", 52.5815, -1.9925),
    ("Eastside Youth Hub", "community", 52.5760, -1.9720),
    ("Brackenford Library", "community", 52.5795, -1.9895),
    ("Brackenford Leisure Centre", "community", 52.5740, -1.9950),
]

TEXTS = {
    "unsafe": [
        "Groups of older lads hang around the underpass after dark and shout at people walking through.",
        "The lights on the path have been broken for weeks, it's pitch black after 5 and you can't see who is there.",
        "Men in cars wait near here and try to talk to girls coming out of school.",
        "Older boys keep asking younger kids to hold stuff for them near the shops.",
        "There were fights here on Friday night and someone said they saw a knife.",
        "I get followed from the bus stop sometimes, it's really scary when it's dark.",
        "Nobody is around at night, if something happened no one would see or help.",
        "People shout racist things at us when we walk past in our school uniform.",
        "Someone made a group chat about people from our school and it's horrible, they post photos of people here.",
        "Adults drink here all evening and it gets loud and aggressive.",
        "Kids get their phones taken on the way home through here.",
        "There's a car that parks up every night and young people go over to it.",
    ],
    "safe": [
        "The staff at the library always say hello and let us stay till closing.",
        "The youth hub is the best place, the workers actually listen to us.",
        "The shopkeeper keeps an eye out for us and lets us wait inside if there's trouble.",
        "It's busy and well lit so I feel OK walking through even late.",
        "My friends and I go to the park in the day, there are always families about.",
        "The bus drivers on this route are kind and wait if you're running.",
        "The leisure centre lets us use the hall for free on Fridays, it feels safe there.",
        "There's a crossing warden and lots of parents, it's calm in the mornings.",
    ],
    "structural": [
        "There's nothing for us to do since the youth club closed on Tuesdays.",
        "The last bus is at 9 so we have to walk home through the estate.",
        "We get stopped and searched on the way to school and they never say why.",
        "Bus fares cost too much so people walk through places they don't want to.",
        "Kids who get excluded just hang around town all day with nothing to do.",
        "The only lights on the way home are the ones from the takeaway.",
        "Our families can't afford the activities, so we just stay out.",
        "There is nowhere warm to go after school in winter.",
    ],
}

HELPS = {
    "unsafe": ["More lights.", "A youth worker around in the evenings.", "CCTV that actually works.", "Staff at the station at night.", "Someone to talk to who won't judge us."],
    "safe": ["Keep it open later.", "More places like this.", "Thank the staff, they're great.", ""],
    "structural": ["Open the youth club again.", "Cheaper buses for under 18s.", "Somewhere warm to go after school.", "Police explaining why they stop us."],
}

# Personal details that moderators must catch: the demo shows the redaction suggestions at work.
PERSONAL_EXTRAS = [
    " My number is 07700 900123 if you want to ask me more.",
    " Ask for Jordan Mills at the shop, he's the one who helps.",
    " You can email me at sam.taylor@example.com.",
    " The car is always the same one, KX19 BFD.",
    " Follow them on snap, it's brackenford_boys01.",
]

URGENT_TEXTS = [
    "A man keeps giving my friend money and lifts in his car and she's only 13. She says she has to go to his flat now or he'll be angry. I'm scared for her.",
    "I owe them money and they said I have to do a run this weekend or they'll come to my house. I don't know what to do.",
    "My little brother keeps coming home with new trainers and won't say who from, and he's out till 2 most nights. He's 12.",
    "I don't want to be here any more. Nobody would notice if I was gone.",
]

CONTEXT_NAMES = [
    ("Underpass by the ring road", "place"),
    ("Canal Walk", "place"),
    ("Brackenford Bus Station", "place"),
    ("Victoria Park", "place"),
    ("Parade shops on Kestrel Way", "place"),
    ("Area around Brackenford Academy", "place"),
    ("Area around Heronsgate High School", "place"),
    ("Late-night shop on Foundry Street", "place"),
    ("Heron Fields", "place"),
    ("Eastside Youth Hub", "setting"),
    ("Brackenford Library", "setting"),
    ("Canal Street tram stop", "place"),
    ("School group chats", "online"),
    ("Mill Lane", "place"),
    ("Brackenford railway station", "place"),
    ("Brackenford Leisure Centre", "setting"),
]

ACTIONS = [
    ("Repair and add lighting along the path", "Brackenford Council Highways", "environment", "The lights on Canal Walk have been fixed and four new ones added."),
    ("Detached youth work on Friday and Saturday evenings", "Eastside Youth Hub", "relational", "Youth workers are now out around the bus station on Friday and Saturday evenings."),
    ("Brief shop staff as safe-place guardians", "Brackenford Community Safety Partnership", "guardianship", "Shops on Kestrel Way have signed up to be safe places, with a sticker in the window."),
    ("Reopen the Tuesday youth club session", "Brackenford Youth Services", "provision", "The youth club is open on Tuesdays again, 4pm to 8pm."),
    ("Review stop and search near schools with young people", "Police neighbourhood team", "policy", "Officers met young people at Heronsgate to talk about stop and search, and will explain every stop."),
    ("Add a later bus on route 12", "Transport partnership", "environment", ""),
    ("Schools' online safety sessions on group chats", "Education safeguarding team", "relational", "Every secondary school has run a session on group chats and what to do about them."),
    ("Disruption of adults loitering near the school gates", "Police neighbourhood team", "enforcement", ""),
]

STAFF = [
    ("moderator@brackenford.example", "Morgan Reid (demo moderator)", "Eastside Youth Hub", ["moderator"]),
    ("panel@brackenford.example", "Priya Shah (demo statutory)", "Brackenford Children's Services", ["statutory"]),
    ("facilitator@brackenford.example", "Femi Adeyemi (demo facilitator)", "Eastside Youth Hub", ["facilitator"]),
    ("admin@brackenford.example", "Alex Jones (demo admin)", "Brackenford Council", ["admin"]),
]

# Which of the town's neighbourhoods each context is in (the register filters and the panel paper use them).
NEIGHBOURHOODS = {
    "Underpass by the ring road": "Town centre",
    "Canal Walk": "Canalside",
    "Brackenford Bus Station": "Town centre",
    "Victoria Park": "Eastside",
    "Parade shops on Kestrel Way": "Kestrel estate",
    "Area around Brackenford Academy": "Kestrel estate",
    "Area around Heronsgate High School": "Heronsgate",
    "Late-night shop on Foundry Street": "Canalside",
    "Heron Fields": "Heronsgate",
    "Eastside Youth Hub": "Eastside",
    "Brackenford Library": "Town centre",
    "Canal Street tram stop": "Canalside",
    "Mill Lane": "Heronsgate",
    "Brackenford railway station": "Town centre",
    "Brackenford Leisure Centre": "Eastside",
}
