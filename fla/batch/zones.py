"""The zones of a BATCH file by the labels an HR officer reads: those the online
application's forms give them (``fla.web.history``), and for the zones only a file has,
the ones below. The glossary (``fla batch glossary``) names each zone of the XSD by its
label, and a file's page shows an anomaly's zone by it, with its XML name beside it; the
notification XML keeps the XML names."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from fla.web.history import ZONE_LABELS
from fla.web.history import zone_label as form_label

# The zones (XML elements) a form has no field for, or whose file form differs (minutes,
# not hours and minutes).
FILE_LABELS = {
    "batch_file": gettext_lazy("BATCH-bestand"),
    "header": gettext_lazy("Kop van het bestand"),
    "file_reference": gettext_lazy("Bestandsreferentie"),
    "sender": gettext_lazy("Afzender"),
    "environment": gettext_lazy("Omgeving"),
    "created_at": gettext_lazy("Tijdstip van aanmaak"),
    "language": gettext_lazy("Taal van de notificatie"),
    "employer": gettext_lazy("Werkgever"),
    "employer_year": gettext_lazy("Werkgeversjaar"),
    "worker": gettext_lazy("Werknemer"),
    "employment": gettext_lazy("Tewerkstelling"),
    "training": gettext_lazy("Opleiding"),
    "action": gettext_lazy("Actie"),
    "legal_minutes": gettext_lazy("Wettelijk recht in minuten"),
    "sector_minutes": gettext_lazy("Sectorrecht in minuten"),
    "employer_minutes": gettext_lazy("Recht van de werkgever in minuten"),
    "duration_minutes": gettext_lazy("Duur in minuten"),
}
# A zone whose name reads differently in one block.
BLOCK_LABELS = {
    ("employment", "start_date"): gettext_lazy("Begindatum van de tewerkstelling"),
    ("employment", "end_date"): gettext_lazy("Einddatum van de tewerkstelling"),
}


def zone_label(zone: str, block: str = "") -> str:
    """The label of ``zone`` as an anomaly names it (``start_date``,
    ``employment.start_date``) in ``block``, the element it is in (a declaration's kind:
    ``training``, ``worker``, …); "" for a name that is no zone of a file."""
    *path, name = zone.split(".")
    if path:
        block = path[-1]
    label = BLOCK_LABELS.get((block, name)) or FILE_LABELS.get(name)
    if label is not None:
        return str(label)
    if name in ZONE_LABELS:
        return form_label(name, block)
    return ""
