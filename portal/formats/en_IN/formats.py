"""How dates and numbers are written for the portal's users in India (LANGUAGE_CODE en-in).

Django ships no en_IN formats, so without these pages fall back to US English
("Jan. 1, 2026", "519,500").
"""

DATE_FORMAT = "j M Y"  # 30 Nov 2026
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %b %Y"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
# Indian digit grouping: the last three digits, then pairs (5,19,500; 1,00,00,000).
NUMBER_GROUPING = (3, 2, 0)
FIRST_DAY_OF_WEEK = 1
