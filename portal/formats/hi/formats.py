"""How dates and numbers are written in Hindi: "30 नवंबर 2026", numbers grouped the Indian way.

Django's own Hindi formats leave the grouping Western and the time in "g:i A"; the portal's
pages show the same shapes in both languages, only the words change.
"""

from django.utils.translation import gettext_noop

DATE_FORMAT = "j F Y"  # 30 नवंबर 2026
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
# Indian digit grouping: the last three digits, then pairs (5,19,500; 1,00,00,000).
NUMBER_GROUPING = (3, 2, 0)
FIRST_DAY_OF_WEEK = 1

# Django's own Hindi catalogue misspells three months ("नवमबर") and cuts the short names to
# fragments a reader cannot place ("नव" for Nov). Naming them here puts them in the portal's
# catalogue (locale/hi), which Django reads first: short and long month names are then the
# same, correctly spelt, full Hindi names ("30 नवंबर 2026" for both "j M Y" and "j F Y").
# fmt: off
MONTH_NAMES = (
    gettext_noop("January"), gettext_noop("February"), gettext_noop("March"), gettext_noop("April"),
    gettext_noop("May"), gettext_noop("June"), gettext_noop("July"), gettext_noop("August"),
    gettext_noop("September"), gettext_noop("October"), gettext_noop("November"), gettext_noop("December"),
    gettext_noop("jan"), gettext_noop("feb"), gettext_noop("mar"), gettext_noop("apr"),
    gettext_noop("may"), gettext_noop("jun"), gettext_noop("jul"), gettext_noop("aug"),
    gettext_noop("sep"), gettext_noop("oct"), gettext_noop("nov"), gettext_noop("dec"),
)
# fmt: on
