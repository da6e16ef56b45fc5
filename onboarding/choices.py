"""Reference data from DOMAIN.md: GST state codes, HS sections, languages, regions."""

from django.db import models

# DOMAIN §4. Startups and exporters live in one of these.
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
STATE_NAMES_TO_CODES = {name.lower(): code for code, name in STATES.items()}

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


# ISO 639-1 codes of the languages an Indian programme most often works in.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "hi": "Hindi",
    "bn": "Bengali",
    "te": "Telugu",
    "mr": "Marathi",
    "ta": "Tamil",
    "ur": "Urdu",
    "gu": "Gujarati",
    "kn": "Kannada",
    "ml": "Malayalam",
    "or": "Odia",
    "pa": "Punjabi",
    "as": "Assamese",
    "ks": "Kashmiri",
    "kok": "Konkani",
    "ne": "Nepali",
}
LANGUAGE_CHOICES = list(LANGUAGES.items())


class MsmeCategory(models.TextChoices):
    MICRO = "micro", "Micro"
    SMALL = "small", "Small"
    MEDIUM = "medium", "Medium"


# DOMAIN §5: India's trade divisions, for grouping target markets in reports.
REGIONS: dict[str, list[str]] = {
    "Africa": ["ZA", "NG", "KE", "ET", "GH", "TZ", "UG", "AO", "CI", "SN", "MZ", "MU"],
    "NAFTA": ["US", "CA", "MX"],
    "Latin America & Caribbean": ["BR", "AR", "CL", "CO", "PE", "EC", "UY", "DO", "JM", "TT"],
    "Europe": [
        "GB",
        "DE",
        "FR",
        "IT",
        "ES",
        "NL",
        "BE",
        "PL",
        "SE",
        "CH",
        "AT",
        "DK",
        "IE",
        "PT",
        "GR",
        "CZ",
        "RO",
        "HU",
        "FI",
        "NO",
    ],
    "CIS": ["RU", "KZ", "UZ", "UA", "BY", "AZ", "KG", "TJ", "TM", "AM", "GE"],
    "WANA": ["AE", "SA", "QA", "OM", "KW", "BH", "IR", "IQ", "IL", "JO", "EG", "MA", "TN", "DZ", "TR"],
    "ASEAN": ["SG", "MY", "TH", "ID", "VN", "PH", "MM", "KH", "LA", "BN"],
    "North East Asia": ["CN", "JP", "KR", "HK", "TW", "MN"],
    "Oceania": ["AU", "NZ", "FJ", "PG"],
    "South Asia": ["BD", "LK", "NP", "BT", "MV", "AF", "PK"],
}
COUNTRY_REGION = {country: region for region, codes in REGIONS.items() for country in codes}
