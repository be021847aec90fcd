"""The history of changes as the online application shows it: what was changed, by
which action, and each value before and after in the user's language and formats
(dates dd/mm/yyyy, yes and no, regimes without trailing zeros), not as stored. Dates
and numbers are reformatted in the zones that hold them only: a name or reference
that looks like one is shown as it was typed."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fla.audit.models import HistoryEntry

ENTITY_LABELS = {
    "access": gettext_lazy("Toegang"),
    "mandate": gettext_lazy("Mandaat"),
    "api-client": gettext_lazy("API-client"),
    "worker": gettext_lazy("Werknemer"),
    "employment": gettext_lazy("Tewerkstelling"),
    "rights": gettext_lazy("Rechten"),
    "training": gettext_lazy("Opleiding"),
    "employer_year": gettext_lazy("Werkgeversjaar"),
    "rights-computation": gettext_lazy("Berekening van de rechten"),
    "retention": gettext_lazy("Bewaartermijn"),
}

ACTION_LABELS = {
    "create": gettext_lazy("aangemaakt"),
    "update": gettext_lazy("gewijzigd"),
    "replace": gettext_lazy("vervangen"),
    "cancel": gettext_lazy("geannuleerd"),
    "set": gettext_lazy("ingesteld"),
    "grant": gettext_lazy("toegekend"),
    "change": gettext_lazy("rol gewijzigd"),  # of an access (accounts.services)
    "revoke": gettext_lazy("ingetrokken"),
    "end": gettext_lazy("beëindigd"),
    "delete": gettext_lazy("verwijderd"),
    "compute": gettext_lazy("berekend"),
    "erase": gettext_lazy("gewist"),
    "export": gettext_lazy("geëxporteerd"),
    "login": gettext_lazy("aangemeld"),
}

# The zones whose stored text is a date (ISO) or a number with four decimals.
_DATE_ZONES = re.compile(r"(^|_)(date|day|until|cutoff)$|^(start|end)_date$")
_NUMBER_ZONES = frozenset({"regime", "average_fte", "days"})


def shown(value, zone: str = "") -> str:
    """A stored value of ``zone`` as the user reads it: dates and numbers reformatted
    only in the zones that hold them, anything else as it was typed."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if isinstance(value, dict):
        return ", ".join(f"{key}: {shown(item, key)}" for key, item in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(shown(item, zone) for item in value) or "—"
    if isinstance(value, str) and _DATE_ZONES.search(zone):
        try:
            return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if isinstance(value, str) and zone in _NUMBER_ZONES:
        try:
            return format(Decimal(value).normalize(), "f")
        except InvalidOperation:
            return value
    return str(value)


def diff(entry: HistoryEntry) -> dict:
    """An entry with its labels and the zones it changed, each before and after."""
    before = entry.before or {}
    after = entry.after or {}
    changes = [
        {"zone": key, "before": shown(before.get(key), key), "after": shown(after.get(key), key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]
    return {
        "entry": entry,
        "entity": ENTITY_LABELS.get(entry.entity, entry.entity),
        "action": ACTION_LABELS.get(entry.action, entry.action),
        "changes": changes,
    }
