from fla.formats import DATE_FORMAT_SHORT, DATETIME_FORMAT_SHORT, TIME_FORMAT_24H

SHORT_DATE_FORMAT = DATE_FORMAT_SHORT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT_SHORT
TIME_FORMAT = TIME_FORMAT_24H

# Day before month, and the 24-hour clock, in the long forms too (Django's English
# writes "Nov. 29, 2026, 6:09 p.m.").
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i"
