"""British English with unambiguous dates: Django's en_GB formats but for the numeric ones."""

DATE_FORMAT = "j F Y"  # 1 December 2026
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"  # 1 December 2026, 14:05
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "Y-m-d"  # 2026-12-01
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

# The first of each is how a date field shows its value (the admin's date widgets and
# calendar write it too); 05/03/2021 is not accepted, being read either way round.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d %B %Y", "%d %b %Y"]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M:%S.%f", "%H:%M"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
