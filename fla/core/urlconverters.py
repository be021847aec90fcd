"""Path converters of the online application's addresses.

``<id:…>`` is a row id: one to 18 digits. Django's ``<int:…>`` takes any number of
digits, and a number past the database's 64-bit integers made the lookup fail (a 500,
an OverflowError on SQLite) instead of finding nothing: such an address now matches no
page, a 404. Imported by the URL modules that use it, so it is registered once.
"""

from __future__ import annotations

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
