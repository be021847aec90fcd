"""Date and time formats shared by every language of FLA (``FORMAT_MODULE_PATH``): the
Belgian dd/mm/yyyy and the 24-hour clock, whatever the language of the page. The other
formats (names of months, numbers) stay those of Django's locale."""

DATE_FORMAT_SHORT = "d/m/Y"
TIME_FORMAT_24H = "H:i"
DATETIME_FORMAT_SHORT = f"{DATE_FORMAT_SHORT} {TIME_FORMAT_24H}"
