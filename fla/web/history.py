"""The history of changes as the online application shows it: what was changed, by
which action, each zone by the label the forms give it and each value before and after
in the user's language and formats (dates dd/mm/yyyy, yes and no, regimes without
trailing zeros and with the language's decimal mark, durations as h:mm, codes by their
labels), not as stored. Values are reformatted in the zones that hold them only: a name
or reference that looks like a date or a number is shown as it was typed."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fla.audit.models import HistoryEntry
from fla.core.choices import RightType, Role, SizeClass, TrainingKind, TrainingStatus
from fla.core.identifiers import format_enterprise_number, format_insz
from fla.web.formatting import hours

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

# The zones by the labels the forms and lists give them; a few read differently in the
# history of one kind of entry.
ZONE_LABELS = {
    "reference": gettext_lazy("Referentie"),
    "insz": gettext_lazy("INSZ"),
    "title": gettext_lazy("Titel"),
    "description": gettext_lazy("Beschrijving"),
    "provider": gettext_lazy("Opleidingsverstrekker"),
    "kind": gettext_lazy("Type opleiding"),
    "start_date": gettext_lazy("Begindatum"),
    "end_date": gettext_lazy("Einddatum"),
    "duration_minutes": gettext_lazy("Duur"),
    "status": gettext_lazy("Status"),
    "right_type": gettext_lazy("Aangerekend op recht"),
    "counts_toward_account": gettext_lazy("Telt mee voor de opleidingsrekening"),
    "certificate_obtained": gettext_lazy("Attest behaald"),
    "certificate_valid_until": gettext_lazy("Attest geldig tot"),
    "version": gettext_lazy("Versie"),
    "first_name": gettext_lazy("Voornaam"),
    "last_name": gettext_lazy("Achternaam"),
    "regime": gettext_lazy("Arbeidsregime"),
    "joint_committee": gettext_lazy("Paritair comité"),
    "year": gettext_lazy("Jaar"),
    "declared": gettext_lazy("Aangegeven rechten"),
    "opt_out": gettext_lazy("Uitgesloten van de automatische berekening dit jaar"),
    "size_class": gettext_lazy("Aangegeven grootteklasse"),
    "user": gettext_lazy("Gebruiker"),
    "role": gettext_lazy("Rol"),
    "mandatary": gettext_lazy("Dienstverlener"),
    "enterprise_number": gettext_lazy("Ondernemingsnummer"),
    "name": gettext_lazy("Naam"),
    "client_id": "client_id",
    "scopes": gettext_lazy("Rechten"),
    "revoked": gettext_lazy("Ingetrokken"),
    "workers": gettext_lazy("Werknemers"),
    "created": gettext_lazy("Rechten aangemaakt"),
    "updated": gettext_lazy("Rechten gewijzigd"),
    "deleted": gettext_lazy("Rechten verwijderd"),
    "cutoff": gettext_lazy("Grensdatum"),
    "employments": gettext_lazy("Tewerkstellingen"),
    "rights": gettext_lazy("Rechten"),
    "credit_lines": gettext_lazy("Kredietlijnen"),
    "trainings": gettext_lazy("Opleidingen"),
    "history": gettext_lazy("Historiek"),
    "history_anonymised": gettext_lazy("Geanonimiseerde historiek"),
    "exported": gettext_lazy("Geëxporteerd"),
}
_ENTITY_ZONE_LABELS = {
    ("employer_year", "opt_out"): gettext_lazy(
        "De hele onderneming is dit jaar uitgesloten van de automatische berekening"
    ),
}

SCOPE_LABELS = {"read": gettext_lazy("Raadplegen"), "declare": gettext_lazy("Aangeven")}

# The zones whose stored code is shown by its label.
_CHOICE_ZONES = {
    "status": dict(TrainingStatus.choices),
    "kind": dict(TrainingKind.choices),
    "right_type": dict(RightType.choices),
    "size_class": dict(SizeClass.choices),
    "role": dict(Role.choices),
    "scopes": SCOPE_LABELS,
}

# The zones whose stored text is a date (ISO) or a number with four decimals.
_DATE_ZONES = re.compile(r"(^|_)(date|day|until|cutoff)$|^(start|end)_date$")
_NUMBER_ZONES = frozenset({"regime", "average_fte", "days"})
_MINUTE_ZONES = re.compile(r"(^|_)minutes$")


def zone_label(zone: str, entity: str = "") -> str:
    """A zone by the label the forms give it; a zone without one, by its name."""
    return str(_ENTITY_ZONE_LABELS.get((entity, zone)) or ZONE_LABELS.get(zone) or zone)


def shown(value, zone: str = "") -> str:
    """A stored value of ``zone`` as the user reads it: dates, numbers, durations and
    codes reformatted only in the zones that hold them, anything else as it was typed."""
    if zone == "right_type" and value == "":
        return _("Automatisch")
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if zone == "declared" and isinstance(value, dict):
        # The declared rights of a worker-year: minutes per right type.
        labels = _CHOICE_ZONES["right_type"]
        return (
            ", ".join(
                f"{labels.get(key, key)}{_(':')} {shown(item, 'minutes')}"
                for key, item in sorted(value.items(), key=lambda kv: _right_order(kv[0]))
            )
            or "—"
        )
    if isinstance(value, dict):
        return ", ".join(
            f"{zone_label(key)}{_(':')} {shown(item, key)}" for key, item in sorted(value.items())
        )
    if isinstance(value, list):
        return ", ".join(shown(item, zone) for item in value) or "—"
    if isinstance(value, int) and _MINUTE_ZONES.search(zone):
        return hours(value)
    if isinstance(value, str) and zone in _CHOICE_ZONES:
        return str(_CHOICE_ZONES[zone].get(value, value))
    if isinstance(value, str) and zone == "insz":
        return format_insz(value)
    if isinstance(value, str) and zone == "enterprise_number":
        return format_enterprise_number(value)
    if isinstance(value, str) and _DATE_ZONES.search(zone):
        try:
            return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if isinstance(value, str) and zone in _NUMBER_ZONES:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        if number.is_finite() and zone == "average_fte":
            # With two decimals, as the size class's table shows it (13,00 next to 12,50).
            return floatformat(number, 2)
        if number.is_finite():
            return formats.number_format(format(number.normalize(), "f"), use_l10n=True)
        return value
    return str(value)


_ZONE_ORDER = {zone: index for index, zone in enumerate(ZONE_LABELS)}


def _zone_order(zone: str) -> tuple[int, str]:
    return _ZONE_ORDER.get(zone, len(_ZONE_ORDER)), zone


_RIGHT_ORDER = {right_type: index for index, right_type in enumerate(RightType.values)}


def _right_order(right_type: str) -> int:
    return _RIGHT_ORDER.get(right_type, len(_RIGHT_ORDER))


def diff(entry: HistoryEntry) -> dict:
    """An entry with its labels and the zones it changed, each before and after. A zone
    whose two values read the same (none and empty: "—" both) is no change to show."""
    before = entry.before or {}
    after = entry.after or {}
    changes = []
    # In the order the forms give the zones; any other zone after them.
    for key in sorted(set(before) | set(after), key=_zone_order):
        if before.get(key) == after.get(key):
            continue
        old, new = shown(before.get(key), key), shown(after.get(key), key)
        if old != new:
            changes.append(
                {"zone": zone_label(key, entry.entity), "name": key, "before": old, "after": new}
            )
    return {
        "entry": entry,
        "entity": ENTITY_LABELS.get(entry.entity, entry.entity),
        "action": ACTION_LABELS.get(entry.action, entry.action),
        "changes": changes,
    }
