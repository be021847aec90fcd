"""How minutes and shares are shown on the pages."""

from __future__ import annotations


def hours(minutes: int | None) -> str:
    """Minutes as ``h:mm`` (``-1:05`` for a negative amount); empty for None."""
    if minutes is None:
        return ""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(int(minutes)), 60)
    return f"{sign}{whole}:{rest:02d}"


def percent(part: int | float, whole: int | float) -> int:
    """A share from 0 to 100, rounded down so 100 % means everything is done."""
    if not whole:
        return 0
    return max(0, min(100, int(part * 100 // whole)))
