"""The demo world: organisations and people of the fight against child sexual exploitation.

Names are descriptive, addresses use the reserved ``.example`` domain. The second factors are
derived from a fixed demo seed so ``seed_demo`` can print them every time it runs without
storing them in plain text; this module refuses to run in production.
"""

import hashlib
import hmac

from partners.models import OrganisationKind as K
from partners.roles import Role as R

DEMO_PASSWORD = "Demo-portal-2026!"
_DEMO_SEED = b"case-coordination-portal-demo"

ORGANISATIONS = [
    # short_code, name, kind, country, desk, phone, email
    (
        "nl-police-tbkk",
        "National Police – Child Sexual Exploitation Team (TBKK)",
        K.POLICE,
        "NL",
        "TBKK 24/7 desk",
        "+31 88 169 0001",
        "desk@tbkk.politie.example",
    ),
    (
        "nl-police-ams",
        "Police Amsterdam Unit – Vice Squad",
        K.POLICE,
        "NL",
        "Amsterdam vice duty officer",
        "+31 88 169 0020",
        "zeden@ams.politie.example",
    ),
    (
        "nl-police-obr",
        "Police East Brabant Unit – Digital Investigation",
        K.POLICE,
        "NL",
        "East Brabant duty desk",
        "+31 88 169 0030",
        "digi@obr.politie.example",
    ),
    (
        "nl-om-lp",
        "Public Prosecution Service – National Office",
        K.PROSECUTION,
        "NL",
        "National Office duty prosecutor",
        "+31 88 699 1000",
        "piket@lp.om.example",
    ),
    (
        "nl-om-rtm",
        "Public Prosecution Service – Rotterdam District",
        K.PROSECUTION,
        "NL",
        "Rotterdam duty prosecutor",
        "+31 88 699 2000",
        "piket@rtm.om.example",
    ),
    (
        "nl-jenv",
        "Ministry of Justice and Security – Directorate Law Enforcement",
        K.MINISTRY,
        "NL",
        "Action plan secretariat",
        "+31 70 370 0000",
        "actieplan@jenv.example",
    ),
    (
        "nl-hotline",
        "Online Child Abuse Reporting Hotline",
        K.NGO,
        "NL",
        "Hotline analysts",
        "+31 20 261 5000",
        "analysts@hotline.example",
    ),
    (
        "nl-childrights",
        "Child Rights Foundation – Victim Support",
        K.NGO,
        "NL",
        "Victim support coordinator",
        "+31 71 516 0980",
        "support@childrights.example",
    ),
    (
        "eu-europol-ec3",
        "Europol – European Cybercrime Centre (EC3)",
        K.INTERNATIONAL,
        "NL",
        "EC3 operational desk",
        "+31 70 302 5000",
        "ec3-desk@europol.example",
    ),
    (
        "int-interpol-cac",
        "Interpol – Crimes against Children Unit",
        K.INTERNATIONAL,
        "FR",
        "Command and Coordination Centre",
        "+33 4 72 44 7000",
        "ccc@interpol.example",
    ),
    (
        "ph-pnp-wcpc",
        "Philippine National Police – Women and Children Protection Center",
        K.FOREIGN_POLICE,
        "PH",
        "WCPC liaison desk",
        "+63 2 8723 0401",
        "liaison@wcpc.pnp.example",
    ),
    (
        "nl-hosting",
        "Dutch hosting provider – Abuse desk",
        K.INDUSTRY,
        "NL",
        "Abuse desk",
        "+31 20 555 0100",
        "abuse@hosting.example",
    ),
]

# email, full name, [(org short code, role)], platform operator
PEOPLE = [
    ("operator@platform.example", "Pat Operator", [], True),
    ("admin@tbkk.politie.example", "Anouk de Vries", [("nl-police-tbkk", R.ORG_ADMIN)], False),
    ("liaison@tbkk.politie.example", "Lars Bakker", [("nl-police-tbkk", R.LIAISON)], False),
    ("liaison2@tbkk.politie.example", "Yusuf Demir", [("nl-police-tbkk", R.LIAISON)], False),
    ("investigator@ams.politie.example", "Iris Jansen", [("nl-police-ams", R.INVESTIGATOR)], False),
    ("investigator@obr.politie.example", "Bram Visser", [("nl-police-obr", R.INVESTIGATOR)], False),
    (
        "analyst@tbkk.politie.example",
        "Sanne Mulder",
        [("nl-police-tbkk", R.ANALYST), ("nl-hotline", R.NGO_CASEWORKER)],
        False,
    ),
    ("prosecutor@lp.om.example", "Pieter Smit", [("nl-om-lp", R.PROSECUTOR)], False),
    ("prosecutor@rtm.om.example", "Fatima El Amrani", [("nl-om-rtm", R.PROSECUTOR)], False),
    ("monitor@jenv.example", "Marieke Dekker", [("nl-jenv", R.MINISTRY_MONITOR)], False),
    ("admin@jenv.example", "Hans Meijer", [("nl-jenv", R.ORG_ADMIN)], False),
    ("caseworker@hotline.example", "Noor Hendriks", [("nl-hotline", R.NGO_CASEWORKER)], False),
    ("admin@hotline.example", "Ruben Bos", [("nl-hotline", R.ORG_ADMIN)], False),
    ("caseworker@childrights.example", "Emma Peters", [("nl-childrights", R.NGO_CASEWORKER)], False),
    ("liaison@europol.example", "Katarzyna Nowak", [("eu-europol-ec3", R.LIAISON)], False),
    ("analyst@interpol.example", "Jean Moreau", [("int-interpol-cac", R.ANALYST)], False),
    ("liaison@wcpc.pnp.example", "Maria Santos", [("ph-pnp-wcpc", R.LIAISON)], False),
    ("abuse@hosting.example", "Tom de Boer", [("nl-hosting", R.ANALYST)], False),
]


def demo_totp_key(email: str) -> bytes:
    return hmac.new(_DEMO_SEED, f"totp:{email}".encode(), hashlib.sha1).digest()


def demo_backup_codes(email: str) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for i in range(10):
        digest = hmac.new(_DEMO_SEED, f"backup:{email}:{i}".encode(), hashlib.sha256).digest()
        raw = "".join(alphabet[b % len(alphabet)] for b in digest[:10])
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes
