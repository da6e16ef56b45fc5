"""Realistic, deterministic demo data (names, places, identifiers) for `seed_demo` and tests,
and fully signed-in sessions (password and second factor) for `bench` and tests."""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import random
import string
import time
from base64 import b32encode

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..services.users import user_pending_authenticator, user_two_factor_confirm, user_two_factor_start
from ..validators import gstin_check_character

# Major exporting districts per state (GST code), weighted by how often they appear.
DISTRICTS: dict[str, list[str]] = {
    "27": ["Mumbai", "Pune", "Thane", "Nashik", "Nagpur", "Aurangabad", "Kolhapur"],
    "24": ["Ahmedabad", "Surat", "Rajkot", "Vadodara", "Morbi", "Jamnagar", "Kutch"],
    "33": ["Chennai", "Coimbatore", "Tiruppur", "Karur", "Salem", "Madurai"],
    "29": ["Bengaluru Urban", "Mysuru", "Belagavi", "Hubballi-Dharwad", "Mangaluru"],
    "07": ["New Delhi", "South Delhi", "North West Delhi", "Shahdara"],
    "09": ["Kanpur Nagar", "Moradabad", "Agra", "Varanasi", "Bhadohi", "Firozabad", "Gautam Buddha Nagar"],
    "08": ["Jaipur", "Jodhpur", "Udaipur", "Bikaner", "Barmer"],
    "06": ["Gurugram", "Panipat", "Faridabad", "Sonipat"],
    "03": ["Ludhiana", "Jalandhar", "Amritsar"],
    "19": ["Kolkata", "Howrah", "Darjeeling"],
    "32": ["Ernakulam", "Kollam", "Alappuzha", "Thrissur"],
    "36": ["Hyderabad", "Warangal", "Karimnagar"],
    "37": ["Visakhapatnam", "Guntur", "Krishna"],
    "23": ["Indore", "Bhopal", "Chanderi"],
    "21": ["Cuttack", "Khordha", "Sambalpur"],
    "01": ["Srinagar", "Anantnag"],
    "18": ["Kamrup", "Dibrugarh"],
    "38": ["Leh"],
}
# The first three digits of each district's PIN codes (India Post's sorting districts), so a
# demo exporter's PIN lies in its district and state.
PIN_PREFIXES: dict[str, str] = {
    "Mumbai": "400", "Pune": "411", "Thane": "400", "Nashik": "422", "Nagpur": "440", "Aurangabad": "431",
    "Kolhapur": "416", "Ahmedabad": "380", "Surat": "395", "Rajkot": "360", "Vadodara": "390", "Morbi": "363",
    "Jamnagar": "361", "Kutch": "370", "Chennai": "600", "Coimbatore": "641", "Tiruppur": "641", "Karur": "639",
    "Salem": "636", "Madurai": "625", "Bengaluru Urban": "560", "Mysuru": "570", "Belagavi": "590",
    "Hubballi-Dharwad": "580", "Mangaluru": "575", "New Delhi": "110", "South Delhi": "110",
    "North West Delhi": "110", "Shahdara": "110", "Kanpur Nagar": "208", "Moradabad": "244", "Agra": "282",
    "Varanasi": "221", "Bhadohi": "221", "Firozabad": "283", "Gautam Buddha Nagar": "201", "Jaipur": "302",
    "Jodhpur": "342", "Udaipur": "313", "Bikaner": "334", "Barmer": "344", "Gurugram": "122", "Panipat": "132",
    "Faridabad": "121", "Sonipat": "131", "Ludhiana": "141", "Jalandhar": "144", "Amritsar": "143",
    "Kolkata": "700", "Howrah": "711", "Darjeeling": "734", "Ernakulam": "682", "Kollam": "691",
    "Alappuzha": "688", "Thrissur": "680", "Hyderabad": "500", "Warangal": "506", "Karimnagar": "505",
    "Visakhapatnam": "530", "Guntur": "522", "Krishna": "521", "Indore": "452", "Bhopal": "462",
    "Chanderi": "473", "Cuttack": "753", "Khordha": "752", "Sambalpur": "768", "Srinagar": "190",
    "Anantnag": "192", "Kamrup": "781", "Dibrugarh": "786", "Leh": "194",
}  # fmt: skip


def pin_for(rng: random.Random, district: str) -> str:
    """A PIN code in `district` (its sorting prefix and a delivery office number)."""
    return f"{PIN_PREFIXES[district]}{rng.randint(1, 99):03d}"


STATE_WEIGHTS = {
    "27": 16,
    "24": 14,
    "33": 12,
    "29": 8,
    "07": 7,
    "09": 10,
    "08": 6,
    "06": 5,
    "03": 4,
    "19": 4,
    "32": 3,
    "36": 3,
    "37": 3,
    "23": 2,
    "21": 1,
    "01": 1,
    "18": 1,
    "38": 0.2,
}
LANGUAGE_OF_STATE = {
    "27": "mr",
    "24": "gu",
    "33": "ta",
    "29": "kn",
    "07": "hi",
    "09": "hi",
    "08": "hi",
    "06": "hi",
    "03": "pa",
    "19": "bn",
    "32": "ml",
    "36": "te",
    "37": "te",
    "23": "hi",
    "21": "or",
    "01": "ur",
    "18": "as",
    "38": "hi",
}
# (HS codes, words for names) per strong Indian export line.
PRODUCT_LINES = [
    (["6109", "610910", "6205", "620520", "6204"], ["Garments", "Apparel", "Knitwear", "Fashions"]),
    (["5208", "520811", "5407", "6302"], ["Textiles", "Fabrics", "Handlooms", "Home Linen"]),
    (["7113", "711319", "7103", "7102"], ["Jewellers", "Gems", "Diamonds", "Ornaments"]),
    (["3304", "330499", "3305", "3401"], ["Herbals", "Cosmetics", "Ayurveda", "Naturals"]),
    (["0904", "090411", "0910", "0908"], ["Spices", "Masala", "Agro Foods"]),
    (["4202", "420221", "6403", "4203"], ["Leather Works", "Leathercraft", "Footwear"]),
    (["6912", "6911", "7013"], ["Ceramics", "Pottery", "Glassworks"]),
    (["9403", "940360", "4420", "9405"], ["Furniture", "Handicrafts", "Woodcraft", "Decor"]),
    (["8413", "8481", "7318", "8708"], ["Engineering", "Precision Works", "Pumps", "Auto Parts"]),
    (["5701", "5702", "570110"], ["Carpets", "Rugs", "Weaves"]),
    (["1006", "100630", "1701", "0902"], ["Agro Exports", "Rice Mills", "Tea Estates"]),
]
NAME_PREFIXES = [
    "Shree",
    "Sai",
    "Om",
    "Laxmi",
    "Ganesh",
    "Bharat",
    "Krishna",
    "Jai",
    "Ambika",
    "Mahalaxmi",
    "Siddhi",
    "Balaji",
    "Surya",
    "Navkar",
    "Kaveri",
    "Ganga",
    "Annapurna",
    "Vishwa",
    "Royal",
    "Heritage",
    "Indus",
    "Deccan",
    "Malabar",
    "Kohinoor",
    "Akshar",
    "Trident",
    "Sunrise",
    "Pragati",
    "Unnati",
    "Matrix",
]
ENTITY_SUFFIXES = [("Private Limited", "C"), ("LLP", "F"), ("& Co.", "F"), ("Enterprises", "P"), ("Industries", "C")]
FIRST_NAMES = [
    "Aarav",
    "Priya",
    "Rohan",
    "Ananya",
    "Vikram",
    "Meera",
    "Arjun",
    "Kavya",
    "Rahul",
    "Sneha",
    "Imran",
    "Fatima",
    "Gurpreet",
    "Harpreet",
    "Lakshmi",
    "Suresh",
    "Deepa",
    "Karthik",
    "Neha",
    "Amit",
]
LAST_NAMES = [
    "Shah",
    "Patel",
    "Iyer",
    "Reddy",
    "Sharma",
    "Verma",
    "Nair",
    "Gupta",
    "Singh",
    "Khan",
    "Das",
    "Mehta",
    "Joshi",
    "Kulkarni",
    "Menon",
    "Rao",
    "Agarwal",
    "Chatterjee",
    "Pillai",
    "Bhat",
]
STARTUP_WORDS = ["Export", "Trade", "Bridge", "Global", "Reach", "Launch", "Connect", "Vyapar", "Setu", "Udaan"]
STARTUP_SUFFIXES = ["Labs", "Ventures", "Hub", "Works", "Partners", "Digital", "Solutions", "Tech"]
MARKETS = ["US", "AE", "GB", "DE", "SA", "AU", "SG", "NL", "FR", "CA", "JP", "ZA", "KE", "BD", "IT", "ES"]


def _base26(n: int, width: int) -> str:
    letters = []
    for _ in range(width):
        n, r = divmod(n, 26)
        letters.append(string.ascii_uppercase[r])
    return "".join(reversed(letters))


def pan_for(index: int, holder: str) -> str:
    """A well-formed PAN unique per index (5 letters incl. holder type, 4 digits, a letter)."""
    head = _base26(index // 9999, 3)
    digits = index % 9999 + 1
    tail = string.ascii_uppercase[index % 26]
    return f"{head}{holder}{string.ascii_uppercase[(index // 7) % 26]}{digits:04d}{tail}"


def gstin_for(state: str, pan: str, entity: str = "1") -> str:
    body = f"{state}{pan}{entity}Z"
    return body + gstin_check_character(body)


def mobile(rng: random.Random) -> str:
    return f"+91{rng.choice('6789')}{rng.randrange(10**8, 10**9):09d}"


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


_STATES, _STATE_CUMULATIVE = list(STATE_WEIGHTS), list(itertools.accumulate(STATE_WEIGHTS.values()))


def weighted_state(rng: random.Random) -> str:
    # rng.choices(…, weights=…)[0] without its per-call set-up: the same draw from the same random().
    return _STATES[bisect.bisect(_STATE_CUMULATIVE, rng.random() * _STATE_CUMULATIVE[-1], 0, len(_STATES) - 1)]


UDYAM_STATE = {"27": "MH", "24": "GJ", "33": "TN", "29": "KR", "07": "DL", "09": "UP", "08": "RJ", "06": "HR"}


def udyam(rng: random.Random, state: str) -> str:
    return f"UDYAM-{UDYAM_STATE.get(state, 'MH')}-{rng.randint(10, 99)}-{rng.randint(0, 9999999):07d}"


def exporter_file_rows(count: int, *, seed: int = 11, start: int = 1_000_000) -> list[dict[str, str]]:
    """Rows of an exporter spreadsheet as a council might send it (template columns, text cells).

    PANs come from `start` on, beyond any index seed_demo or the factories use, so the
    GSTINs never collide with seeded exporters.
    """
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        state = weighted_state(rng)
        products, words = rng.choice(PRODUCT_LINES)
        suffix, holder = rng.choice(ENTITY_SUFFIXES)
        pan = pan_for(start + i, holder)
        first, last = person(rng)
        rows.append(
            {
                "Legal name": f"{rng.choice(NAME_PREFIXES)} {rng.choice(words)} {suffix}",
                "GSTIN": gstin_for(state, pan),
                "District": (district := rng.choice(DISTRICTS[state])),
                "PIN code": pin_for(rng, district),
                "Contact name": f"{first} {last}",
                "Email": f"{first.lower()}.{start + i}@firm.example.in",
                "Mobile": mobile(rng)[3:],
                "HS codes": ", ".join(rng.sample(products, rng.randint(1, min(3, len(products))))),
                "Target markets": ", ".join(rng.sample(MARKETS, rng.randint(1, 4))),
                "Preferred language": LANGUAGE_OF_STATE.get(state, "hi"),
            }
        )
    return rows


def exporter_csv(rows: list[dict[str, str]]) -> bytes:

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


# --- Two-factor sign-in for programmatic sessions -----------------------------------------


def authenticator_code(device: TOTPDevice) -> str:
    """The code `device` accepts next, as the person's app would show it: the current time
    step's, or a later step's within the device's tolerance when that one was used already."""
    now = (int(time.time()) - device.t0) // device.step + device.drift
    return f"{hotp(device.bin_key, max(now, device.last_t + 1), digits=device.digits):0{device.digits}d}"


def authenticator_for(user) -> TOTPDevice:
    """`user`'s confirmed authenticator app, set up through the two-factor services if missing."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        user_two_factor_start(user=user)
        device = user_two_factor_confirm(user=user, code=authenticator_code(user_pending_authenticator(user))).device
    return device


def verify_session(client, user) -> None:
    """Mark a Django test client's session (already signed in as `user`) as verified by
    `user`'s authenticator, as django-otp's `login()` does after a right code."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session.save()


def signed_in_client(user) -> Client:
    """A Django test client signed in as `user` as a person would be: the password and, for
    programme admins (who must use it), the second factor."""
    client = Client()
    client.force_login(user)
    if user.must_use_two_factor:
        verify_session(client, user)
    return client


def two_factor_lines(user) -> list[str]:
    """Set up `user`'s authenticator and say how to sign in with it: for the demo admin, who
    must use a second factor (the key goes into an app; a recovery code works once instead)."""
    user_two_factor_start(user=user)
    on = user_two_factor_confirm(user=user, code=authenticator_code(user_pending_authenticator(user)))
    key = b32encode(on.device.bin_key).decode()
    return [
        f"  {'':<18} two-factor: add key {key} to an authenticator app,",
        f"  {'':<18} or use a one-time recovery code: {', '.join(on.recovery_codes[:3])}",
    ]
