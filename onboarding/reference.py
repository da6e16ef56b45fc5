"""Reference data (docs/domain.md): GST state codes, HS sections, languages, the default
listing stages (seeded by migration 0002, restored by tests that truncate tables) and
the import file's column vocabulary."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy, gettext_noop

# docs/domain.md#gst-state-codes. Startups and exporters live in one of these.
STATES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
}
# Legacy or special codes that still appear in GSTINs but are no place to live in.
GSTIN_ONLY_STATES: dict[str, str] = {
    "25": "Daman and Diu (legacy)",
    "28": "Andhra Pradesh (legacy)",
    "97": "Other Territory",
    "99": "Centre Jurisdiction",
}
STATE_CHOICES = sorted(STATES.items(), key=lambda item: item[1])


def state_name(code: str, blank: str = "") -> str:
    """A GST state code in words ("27" -> "Maharashtra"); legacy GSTIN codes too."""
    if not code:
        return blank
    return STATES.get(code) or GSTIN_ONLY_STATES.get(code, code)


def squash(text: object) -> str:
    """Lower-case letters and digits only, so "U.A.E.", "u a e" and "UAE" compare equal."""
    return "".join(ch for ch in str(text or "").casefold() if ch.isalnum())


# Spellings people type for a state beside its official name and code ("Tamilnadu", "Orissa").
# Cities are no states ("Bombay", "Bangalore"): they stay unknown rather than guessed.
STATE_ALIASES: dict[str, str] = {
    "jk": "01", "jammukashmir": "01", "jammuandkashmir": "01", "jandk": "01",
    "hp": "02", "himachal": "02",
    "uk": "05", "uttaranchal": "05",
    "hr": "06",
    "delhincr": "07", "newdelhi": "07", "nctofdelhi": "07", "nctdelhi": "07", "dl": "07",
    "rj": "08",
    "up": "09",
    "orissa": "21", "odisa": "21", "or": "21", "od": "21",
    "cg": "22", "chattisgarh": "22", "chhatisgarh": "22",
    "mp": "23",
    "gj": "24",
    "dnhdd": "26", "dadranagarhaveli": "26", "damananddiu": "26", "dadraandnagarhaveli": "26",
    "mh": "27",
    "ka": "29", "karnatak": "29",
    "kl": "32",
    "tamilnadu": "33", "tn": "33", "tamilnad": "33",
    "pondicherry": "34", "pondy": "34", "puduchery": "34", "py": "34",
    "andaman": "35", "andamannicobar": "35", "andamanandnicobar": "35", "an": "35",
    "tg": "36", "ts": "36", "telengana": "36",
    "ap": "37", "andhra": "37",
    "la": "38", "ladak": "38",
    "wb": "19", "westbengal": "19", "bengal": "19",
    "ar": "12", "as": "18", "br": "10", "ch": "04", "ga": "30", "jh": "20", "mn": "14",
    "ml": "17", "mz": "15", "nl": "13", "pb": "03", "sk": "11", "tr": "16", "ld": "31",
}  # fmt: skip


def state_code(text: object) -> str | None:
    """The GST state code a person meant ("Tamilnadu", "33", "Orissa" -> "33", "21"), or None."""
    raw = str(text or "").strip()
    if raw.isdigit() and raw.zfill(2) in STATES:
        return raw.zfill(2)
    key = squash(raw)
    for code, name in STATES.items():
        if squash(name) == key:
            return code
    return STATE_ALIASES.get(key)


# Country spellings beyond the English short names (ISO 3166-1 alpha-2 values).
COUNTRY_ALIASES: dict[str, str] = {
    "uae": "AE", "emirates": "AE", "dubai": "AE", "abudhabi": "AE",
    "usa": "US", "us": "US", "unitedstatesofamerica": "US", "america": "US", "theunitedstates": "US",
    "uk": "GB", "greatbritain": "GB", "britain": "GB", "england": "GB",
    "unitedkingdomofgreatbritainandnorthernireland": "GB",
    "ksa": "SA", "saudi": "SA", "southkorea": "KR", "korea": "KR", "republicofkorea": "KR",
    "holland": "NL", "thenetherlands": "NL", "russianfederation": "RU", "czechia": "CZ",
    "turkiye": "TR", "vietnam": "VN", "vietnamese": "VN", "prc": "CN", "mainlandchina": "CN",
    "burma": "MM", "ivorycoast": "CI", "northmacedonia": "MK", "eswatini": "SZ", "swaziland": "SZ",
}  # fmt: skip


# HS sections: (roman numeral, name, first chapter, last chapter).
HS_SECTIONS: list[tuple[str, str, int, int]] = [
    ("I", "Live animals; animal products", 1, 5),
    ("II", "Vegetable products", 6, 14),
    ("III", "Animal or vegetable fats and oils", 15, 15),
    ("IV", "Prepared foodstuffs, beverages, tobacco", 16, 24),
    ("V", "Mineral products", 25, 27),
    ("VI", "Chemical and allied products", 28, 38),
    ("VII", "Plastics and rubber", 39, 40),
    ("VIII", "Hides, skins, leather and travel goods", 41, 43),
    ("IX", "Wood, cork and basketware", 44, 46),
    ("X", "Pulp, paper and printed matter", 47, 49),
    ("XI", "Textiles and textile articles", 50, 63),
    ("XII", "Footwear, headgear, umbrellas", 64, 67),
    ("XIII", "Stone, ceramic and glass", 68, 70),
    ("XIV", "Gems, jewellery and precious metals", 71, 71),
    ("XV", "Base metals and articles", 72, 83),
    ("XVI", "Machinery and electrical equipment", 84, 85),
    ("XVII", "Vehicles, aircraft and vessels", 86, 89),
    ("XVIII", "Optical, medical and musical instruments", 90, 92),
    ("XIX", "Arms and ammunition", 93, 93),
    ("XX", "Miscellaneous manufactured articles", 94, 96),
    ("XXI", "Works of art and antiques", 97, 97),
]


def hs_section_for(code: str) -> str | None:
    """The HS section (roman numeral) of an HS code, or None for an unknown chapter."""
    chapter = int(code[:2])
    for roman, _name, first, last in HS_SECTIONS:
        if first <= chapter <= last and chapter != 77:
            return roman
    return None


def hs_words(code: str) -> str:
    """An HS code with its section's name: "5208 (Textiles and textile articles)"."""
    roman = hs_section_for(code) if str(code)[:2].isdigit() else None
    name = next((n for r, n, _first, _last in HS_SECTIONS if r == roman), None)
    return f"{code} ({name})" if name else str(code)


# ISO 639-1 codes of the languages an Indian programme most often works in.
LANGUAGES: dict[str, str] = {
    "en": gettext_noop("English"),
    "hi": gettext_noop("Hindi"),
    "bn": gettext_noop("Bengali"),
    "te": gettext_noop("Telugu"),
    "mr": gettext_noop("Marathi"),
    "ta": gettext_noop("Tamil"),
    "ur": gettext_noop("Urdu"),
    "gu": gettext_noop("Gujarati"),
    "kn": gettext_noop("Kannada"),
    "ml": gettext_noop("Malayalam"),
    "or": gettext_noop("Odia"),
    "pa": gettext_noop("Punjabi"),
    "as": gettext_noop("Assamese"),
    "ks": gettext_noop("Kashmiri"),
    "kok": gettext_noop("Konkani"),
    "ne": gettext_noop("Nepali"),
}
# Shown in the page's language; LANGUAGES keeps the English names (stored reasons use them).
LANGUAGE_CHOICES = [(code, gettext_lazy(name)) for code, name in LANGUAGES.items()]


class MsmeCategory(models.TextChoices):
    MICRO = "micro", gettext_lazy("Micro")
    SMALL = "small", gettext_lazy("Small")
    MEDIUM = "medium", gettext_lazy("Medium")


# (order, code, name, sla_days, evidence fields, auto_approve, description)
STAGES = [
    (1, "assigned", gettext_noop("Assigned"), 3, [], True, "An assignment exists"),
    (2, "contacted", gettext_noop("Contacted"), 7, ["note"], True, "A logged call or visit with the exporter"),
    (
        3,
        "documents_collected",
        gettext_noop("Documents collected"),
        7,
        ["note"],
        False,
        "GST certificate, IEC, bank proof and catalogue received",
    ),
    (4, "account_created", gettext_noop("Account created"), 7, ["reference"], False, "Marketplace member ID"),
    (
        5,
        "membership_active",
        gettext_noop("Membership active"),
        21,
        ["reference", "date"],
        False,
        "Membership contract or reference and the A&V pass date",
    ),
    (6, "storefront_live", gettext_noop("Storefront live"), 7, ["url"], False, "Storefront URL"),
    (
        7,
        "products_listed",
        gettext_noop("Products listed"),
        14,
        ["number", "url"],
        False,
        "Number of products live (at least 10) and a product URL",
    ),
    (
        8,
        "trade_assurance",
        gettext_noop("Trade Assurance"),
        14,
        ["reference"],
        False,
        "Trade Assurance badge or reference",
    ),
    (
        9,
        "first_inquiry",
        gettext_noop("First inquiry"),
        60,
        ["number", "country"],
        False,
        "Inquiry or RFQ count and buyer country",
    ),
    (
        10,
        "first_order",
        gettext_noop("First order"),
        90,
        ["reference", "amount", "country"],
        False,
        "Order reference, value in USD and buyer country",
    ),
]

# The documents a stage's checklist asks for, one upload each (migration 0035 gave them to existing installs).
STAGE_DOCUMENTS = {"documents_collected": ["gst_certificate", "iec_certificate", "bank_proof", "catalogue"]}


def seed_reference_data(apps) -> None:
    """HS sections and the default listing stages (docs/domain.md#the-listing-stages); idempotent."""
    Sector = apps.get_model("onboarding", "Sector")
    Stage = apps.get_model("onboarding", "Stage")
    for code, name, first, last in HS_SECTIONS:
        Sector.objects.update_or_create(
            code=code, defaults={"name": name, "first_chapter": first, "last_chapter": last}
        )
    # Migration 0002 runs this with the stage as it was then, before it had a checklist.
    has_checklist = any(field.name == "documents" for field in Stage._meta.get_fields())
    for order, code, name, sla, evidence, auto, description in STAGES:
        checklist = {"documents": STAGE_DOCUMENTS.get(code, [])} if has_checklist else {}
        Stage.objects.update_or_create(
            code=code,
            defaults={
                "order": order,
                "name": name,
                "sla_days": sla,
                "evidence_fields": evidence,
                "auto_approve": auto,
                "description": description,
                **checklist,
            },
        )


# --- The exporter import file's columns -----------------------------------------

REQUIRED = ("legal_name", "gstin")  # an import file without these columns is refused
# The template's columns, in order, with the header a person sees.
COLUMNS: dict[str, str] = {
    "legal_name": "Legal name",
    "trade_name": "Trade name",
    "gstin": "GSTIN",
    "pan": "PAN",
    "iec": "IEC",
    "udyam_number": "Udyam number",
    "msme_category": "MSME category",
    "state": "State",
    "district": "District",
    "pin_code": "PIN code",
    "contact_name": "Contact name",
    "contact_email": "Email",
    "contact_mobile": "Mobile",
    "products": "HS codes",
    "target_markets": "Target markets",
    "preferred_language": "Preferred language",
    "is_manufacturer": "Manufacturer",
    "marketplace": "Marketplace",
    "marketplace_member_id": "Marketplace member ID",
    "storefront_url": "Storefront URL",
    "status": "Status",
    "status_reason": "Status reason",
}
EXAMPLE_ROW: dict[str, str] = {
    "legal_name": "Shree Ganesh Handicrafts LLP",
    "trade_name": "Ganesh Crafts",
    "gstin": "27AAPFU0939F1ZV",
    "udyam_number": "UDYAM-MH-26-0123456",
    "msme_category": "Micro",
    "state": "Maharashtra",
    "district": "Pune",
    "pin_code": "411001",
    "contact_name": "Meera Kulkarni",
    "contact_email": "meera@ganesh.example.in",
    "contact_mobile": "98765 43210",
    "products": "9403, 442090",
    "target_markets": "US, AE",
    "preferred_language": "Marathi",
    "is_manufacturer": "Yes",
}
# Headers seen on councils' and states' sheets, compared without case, spaces or punctuation.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "legal_name": (
        "name",
        "companyname",
        "company",
        "firmname",
        "firm",
        "exportername",
        "exporter",
        "nameofexporter",
        "nameofthefirm",
        "nameoffirm",
        "businessname",
        "legalnameofbusiness",
        "entityname",
        "unitname",
        "nameofunit",
    ),
    "trade_name": ("tradename", "brandname", "brand", "tradingname"),
    "gstin": ("gst", "gstno", "gstnumber", "gstinno", "gstinnumber", "gstregistrationnumber", "gstinuin", "gstregno"),
    "pan": ("panno", "pannumber"),
    "iec": ("iecno", "ieccode", "iecnumber", "importexportcode"),
    "udyam_number": ("udyam", "udyamno", "udyamregistrationnumber", "udyamregistrationno", "msmeregistrationno"),
    "msme_category": ("msme", "category", "enterprisetype", "enterprisecategory"),
    "state": ("statename", "stateut", "stateorut", "statecode"),
    "district": ("districtname", "city", "town"),
    "pin_code": ("pin", "pincode", "postalcode", "postcode", "zip", "zipcode", "pinno"),
    "contact_name": ("contact", "contactperson", "person", "authorisedperson", "authorizedperson", "proprietor"),
    "contact_email": ("email", "emailid", "emailaddress", "mail"),
    "contact_mobile": (
        "mobile",
        "mobileno",
        "mobilenumber",
        "phone",
        "phoneno",
        "phonenumber",
        "contactno",
        "contactnumber",
        "whatsapp",
        "whatsappno",
        "whatsappnumber",
        "cell",
    ),
    "products": ("hscodes", "hscode", "hs", "hsn", "hsncode", "hsncodes", "itchs", "itchscode", "productcodes"),
    "target_markets": ("markets", "targetcountries", "countries", "exportmarkets"),
    "preferred_language": ("language", "lang"),
    "is_manufacturer": ("manufacturer", "ismanufacturer", "manufacturerexporter"),
    "marketplace": ("platform",),
    "marketplace_member_id": ("memberid", "alibabaid", "sellerid"),
    "storefront_url": ("storefront", "storeurl", "shopurl"),
    "status_reason": ("reason",),
}
# Manufacturer column answers, compared without case, spaces or punctuation.
YES = {"yes", "y", "true", "1", "manufacturer", "m"}
NO = {"no", "n", "false", "0", "trader", "merchant", "merchantexporter", "t"}


def rupees(amount, *, short: bool = False) -> str:
    """An amount in rupees as Indians write it: ₹5,19,500.00, or ₹5.2 lakh with short."""
    amount = Decimal(str(amount or 0))
    if short and abs(amount) >= 10_000_000:
        return f"₹{amount / 10_000_000:.1f} crore".replace(".0 ", " ")
    if short and abs(amount) >= 100_000:
        return f"₹{amount / 100_000:.1f} lakh".replace(".0 ", " ")
    sign, whole, paise = "-" if amount < 0 else "", *f"{abs(amount):.2f}".split(".")
    return f"{sign}₹{_grouped(whole)}.{paise}"


def _grouped(whole: str) -> str:
    """Digits grouped the Indian way: the last three, then pairs ("1234567" → "12,34,567")."""
    head, tail = whole[:-3], whole[-3:]
    groups = [head[max(i - 2, 0) : i] for i in range(len(head), 0, -2)][::-1]
    return ",".join([*groups, tail])


def indian_number(value, places: int = 0) -> str:
    """A count or figure with Indian grouping, rounded to `places` and without a trailing ".0":
    160000 → "1,60,000", 42.55 → "42.6" (places=1), 3.0 → "3"."""
    amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)  # 12.25 → 12.3
    sign, text = "-" if amount < 0 else "", f"{abs(amount):.{places}f}"
    whole, _dot, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{sign}{_grouped(whole)}{'.' + fraction if fraction else ''}"
