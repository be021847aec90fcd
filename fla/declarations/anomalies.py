"""The one catalogue of anomalies, shared by the online application, the API and BATCH.

Each anomaly has a stable code, a severity (``blocking``: the declaration is rejected
and nothing of it is stored; ``warning``: it is stored and flagged), the zone it
concerns by default, and its message in Dutch, French, German and English. Messages
may name parameters in braces (``{max}``), filled in by the check that raises them.

``fla render-anomalies`` writes this catalogue to docs/anomalies.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["blocking", "warning"]
BLOCKING: Severity = "blocking"
WARNING: Severity = "warning"
LANGUAGES = ("nl", "fr", "de", "en")


@dataclass(frozen=True)
class Anomaly:
    code: str
    severity: Severity
    zone: str
    nl: str
    fr: str
    de: str
    en: str

    def message(self, language: str = "nl", **params: object) -> str:
        template = getattr(self, language if language in LANGUAGES else "en")
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template

    @property
    def blocking(self) -> bool:
        return self.severity == BLOCKING


@dataclass(frozen=True)
class Finding:
    """One anomaly raised on one declaration, with the zone and the values it concerns."""

    code: str
    zone: str = ""
    params: dict[str, object] = field(default_factory=dict, hash=False, compare=False)

    @property
    def anomaly(self) -> Anomaly:
        return CATALOGUE[self.code]

    @property
    def severity(self) -> Severity:
        return self.anomaly.severity

    @property
    def blocking(self) -> bool:
        return self.anomaly.blocking

    def message(self, language: str = "nl") -> str:
        return self.anomaly.message(language, **self.params)

    def as_dict(self, language: str = "nl") -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "zone": self.zone or self.anomaly.zone,
            "message": self.message(language),
        }


_ENTRIES = [
    # --- identification and access ------------------------------------------------------
    Anomaly(
        "E001",
        BLOCKING,
        "insz",
        "Het INSZ is ongeldig (11 cijfers, controlegetal modulo 97).",
        "Le NISS est invalide (11 chiffres, chiffre de contrôle modulo 97).",
        "Die INSZ-Nummer ist ungültig (11 Ziffern, Prüfziffer Modulo 97).",
        "The INSZ is invalid (11 digits, mod-97 check digits).",
    ),
    Anomaly(
        "E002",
        BLOCKING,
        "enterprise_number",
        "Het ondernemingsnummer is ongeldig.",
        "Le numéro d'entreprise est invalide.",
        "Die Unternehmensnummer ist ungültig.",
        "The enterprise number is invalid.",
    ),
    Anomaly(
        "E003",
        BLOCKING,
        "enterprise_number",
        "Je hebt geen toegang of mandaat voor deze werkgever.",
        "Vous n'avez ni accès ni mandat pour cet employeur.",
        "Sie haben keinen Zugang und kein Mandat für diesen Arbeitgeber.",
        "You have no access or mandate for this employer.",
    ),
    Anomaly(
        "E004",
        BLOCKING,
        "insz",
        "De werknemer is onbekend bij deze werkgever.",
        "Le travailleur est inconnu chez cet employeur.",
        "Der Arbeitnehmer ist bei diesem Arbeitgeber unbekannt.",
        "The worker is unknown to this employer.",
    ),
    Anomaly(
        "E005",
        BLOCKING,
        "insz",
        "De werknemer was in {year} niet in dienst bij deze werkgever.",
        "Le travailleur n'était pas occupé chez cet employeur en {year}.",
        "Der Arbeitnehmer war {year} nicht bei diesem Arbeitgeber beschäftigt.",
        "The worker was not employed by this employer in {year}.",
    ),
    # --- dates and durations -------------------------------------------------------------
    Anomaly(
        "E006",
        BLOCKING,
        "end_date",
        "De einddatum ligt voor de begindatum.",
        "La date de fin précède la date de début.",
        "Das Enddatum liegt vor dem Anfangsdatum.",
        "The end date is before the start date.",
    ),
    Anomaly(
        "E007",
        BLOCKING,
        "duration_minutes",
        "De duur moet groter zijn dan nul.",
        "La durée doit être supérieure à zéro.",
        "Die Dauer muss größer als null sein.",
        "The duration must be greater than zero.",
    ),
    Anomaly(
        "E008",
        BLOCKING,
        "duration_minutes",
        "De duur ({duration}) is langer dan de periode toelaat (hoogstens {max}).",
        "La durée ({duration}) dépasse ce que la période permet (au plus {max}).",
        "Die Dauer ({duration}) ist länger, als der Zeitraum zulässt (höchstens {max}).",
        "The duration ({duration}) is longer than the period allows (at most {max}).",
    ),
    Anomaly(
        "E009",
        BLOCKING,
        "date",
        "De datum {value} ligt buiten de aanvaarde periode ({first} tot {last}).",
        "La date {value} est hors de la période acceptée ({first} à {last}).",
        "Das Datum {value} liegt außerhalb des zulässigen Zeitraums ({first} bis {last}).",
        "The date {value} is outside the accepted range ({first} to {last}).",
    ),
    Anomaly(
        "E010",
        BLOCKING,
        "date",
        "De datum is ongeldig; verwacht formaat JJJJ-MM-DD.",
        "La date est invalide ; format attendu AAAA-MM-JJ.",
        "Das Datum ist ungültig; erwartetes Format JJJJ-MM-TT.",
        "The date is invalid; expected format YYYY-MM-DD.",
    ),
    # --- codes ---------------------------------------------------------------------------
    Anomaly(
        "E011",
        BLOCKING,
        "kind",
        "Onbekend type opleiding: {value}. Toegelaten: formal, informal.",
        "Type de formation inconnu : {value}. Admis : formal, informal.",
        "Unbekannte Art der Weiterbildung: {value}. Zulässig: formal, informal.",
        "Unknown training type: {value}. Allowed: formal, informal.",
    ),
    Anomaly(
        "E012",
        BLOCKING,
        "status",
        "Onbekende status: {value}. Toegelaten: planned, completed, not_followed, cancelled.",
        "Statut inconnu : {value}. Admis : planned, completed, not_followed, cancelled.",
        "Unbekannter Status: {value}. Zulässig: planned, completed, not_followed, cancelled.",
        "Unknown status: {value}. Allowed: planned, completed, not_followed, cancelled.",
    ),
    Anomaly(
        "E013",
        BLOCKING,
        "right_type",
        "Onbekend type recht: {value}. Toegelaten: legal, sector, employer.",
        "Type de droit inconnu : {value}. Admis : legal, sector, employer.",
        "Unbekannte Art des Anspruchs: {value}. Zulässig: legal, sector, employer.",
        "Unknown right type: {value}. Allowed: legal, sector, employer.",
    ),
    Anomaly(
        "E014",
        BLOCKING,
        "joint_committee",
        "Ongeldig paritair comité: {value}. Verwacht 999, 999.99 of 999.99.99.",
        "Commission paritaire invalide : {value}. Attendu 999, 999.99 ou 999.99.99.",
        "Ungültige paritätische Kommission: {value}. Erwartet 999, 999.99 oder 999.99.99.",
        "Invalid joint committee: {value}. Expected 999, 999.99 or 999.99.99.",
    ),
    Anomaly(
        "E015",
        BLOCKING,
        "action",
        "Onbekende actie: {value}. Toegelaten: create, replace, cancel.",
        "Action inconnue : {value}. Admis : create, replace, cancel.",
        "Unbekannte Aktion: {value}. Zulässig: create, replace, cancel.",
        "Unknown action: {value}. Allowed: create, replace, cancel.",
    ),
    # --- form of the zones ---------------------------------------------------------------
    Anomaly(
        "E016",
        BLOCKING,
        "zone",
        "Verplichte zone ontbreekt.",
        "Zone obligatoire manquante.",
        "Pflichtfeld fehlt.",
        "Required zone missing.",
    ),
    Anomaly(
        "E017",
        BLOCKING,
        "zone",
        "De tekst is te lang ({length} tekens, hoogstens {max}).",
        "Le texte est trop long ({length} caractères, au plus {max}).",
        "Der Text ist zu lang ({length} Zeichen, höchstens {max}).",
        "The text is too long ({length} characters, at most {max}).",
    ),
    Anomaly(
        "E018",
        BLOCKING,
        "zone",
        "De tekst bevat controletekens of onzichtbare richtingstekens.",
        "Le texte contient des caractères de contrôle ou de direction invisibles.",
        "Der Text enthält Steuerzeichen oder unsichtbare Richtungszeichen.",
        "The text contains control characters or invisible direction marks.",
    ),
    Anomaly(
        "E019",
        BLOCKING,
        "zone",
        "Ongeldig getal: {value}.",
        "Nombre invalide : {value}.",
        "Ungültige Zahl: {value}.",
        "Invalid number: {value}.",
    ),
    Anomaly(
        "E020",
        BLOCKING,
        "zone",
        "Ongeldige ja/nee-waarde: {value}.",
        "Valeur oui/non invalide : {value}.",
        "Ungültiger Ja/Nein-Wert: {value}.",
        "Invalid yes/no value: {value}.",
    ),
    Anomaly(
        "E021",
        BLOCKING,
        "reference",
        "Ongeldige referentie: 1 tot 64 tekens, letters, cijfers, punt, streep of liggend streepje.",
        "Référence invalide : 1 à 64 caractères, lettres, chiffres, point, tiret ou souligné.",
        "Ungültige Referenz: 1 bis 64 Zeichen, Buchstaben, Ziffern, Punkt, Binde- oder Unterstrich.",
        "Invalid reference: 1 to 64 characters, letters, digits, dot, dash or underscore.",
    ),
    # --- references and versions ---------------------------------------------------------
    Anomaly(
        "E022",
        BLOCKING,
        "reference",
        "Dubbele referentie {value} in dezelfde indiening.",
        "Référence {value} en double dans le même envoi.",
        "Doppelte Referenz {value} in derselben Einreichung.",
        "Duplicate reference {value} in the same submission.",
    ),
    Anomaly(
        "E023",
        BLOCKING,
        "reference",
        "Onbekende referentie {value}: er is niets om te wijzigen of te annuleren.",
        "Référence inconnue {value} : rien à modifier ou annuler.",
        "Unbekannte Referenz {value}: nichts zu ändern oder zu stornieren.",
        "Unknown reference {value}: there is nothing to change or cancel.",
    ),
    Anomaly(
        "E024",
        BLOCKING,
        "version",
        "De opleiding is intussen gewijzigd (versie {current}, jouw versie {given}). Herlaad ze.",
        "La formation a été modifiée entre-temps (version {current}, la vôtre {given}). Rechargez-la.",
        "Die Weiterbildung wurde inzwischen geändert (Version {current}, Ihre {given}). Neu laden.",
        "The training was changed in the meantime (version {current}, yours {given}). Reload it.",
    ),
    Anomaly(
        "E025",
        BLOCKING,
        "reference",
        "De referentie {value} hoort al bij een andere werknemer.",
        "La référence {value} appartient déjà à un autre travailleur.",
        "Die Referenz {value} gehört bereits zu einem anderen Arbeitnehmer.",
        "The reference {value} already belongs to another worker.",
    ),
    # --- employment and rights -----------------------------------------------------------
    Anomaly(
        "E026",
        BLOCKING,
        "regime",
        "Het arbeidsregime moet groter dan 0 en hoogstens 1 zijn.",
        "Le régime de travail doit être supérieur à 0 et au plus 1.",
        "Die Arbeitsregelung muss größer als 0 und höchstens 1 sein.",
        "The work regime must be greater than 0 and at most 1.",
    ),
    Anomaly(
        "E027",
        BLOCKING,
        "year",
        "Het jaar {value} ligt buiten de aanvaarde periode ({first} tot {last}).",
        "L'année {value} est hors de la période acceptée ({first} à {last}).",
        "Das Jahr {value} liegt außerhalb des zulässigen Zeitraums ({first} bis {last}).",
        "The year {value} is outside the accepted range ({first} to {last}).",
    ),
    Anomaly(
        "E028",
        BLOCKING,
        "minutes",
        "Een recht kan niet negatief zijn of hoger dan {max}.",
        "Un droit ne peut être négatif ni dépasser {max}.",
        "Ein Anspruch darf nicht negativ sein und {max} nicht übersteigen.",
        "A right cannot be negative or more than {max}.",
    ),
    Anomaly(
        "E029",
        BLOCKING,
        "size_class",
        "Onbekende grootteklasse: {value}. Toegelaten: lt10, 10to19, 20plus.",
        "Classe de taille inconnue : {value}. Admis : lt10, 10to19, 20plus.",
        "Unbekannte Größenklasse: {value}. Zulässig: lt10, 10to19, 20plus.",
        "Unknown size class: {value}. Allowed: lt10, 10to19, 20plus.",
    ),
    Anomaly(
        "E030",
        BLOCKING,
        "certificate_valid_until",
        "Het attest kan niet geldig blijven tot voor de begindatum van de opleiding.",
        "Le certificat ne peut être valable jusqu'à une date antérieure au début de la formation.",
        "Das Zertifikat kann nicht bis vor dem Beginn der Weiterbildung gültig sein.",
        "The certificate cannot be valid until a date before the training starts.",
    ),
    Anomaly(
        "E031",
        BLOCKING,
        "kind",
        "Onbekende soort aangifte: {value}.",
        "Type de déclaration inconnu : {value}.",
        "Unbekannte Meldungsart: {value}.",
        "Unknown kind of declaration: {value}.",
    ),
    Anomaly(
        "E032",
        BLOCKING,
        "employment.start_date",
        "De tewerkstelling begint voor de geboortedatum van de werknemer ({birth}).",
        "L'occupation commence avant la date de naissance du travailleur ({birth}).",
        "Die Beschäftigung beginnt vor dem Geburtsdatum des Arbeitnehmers ({birth}).",
        "The employment starts before the worker's date of birth ({birth}).",
    ),
    # --- warnings ------------------------------------------------------------------------
    Anomaly(
        "W001",
        WARNING,
        "start_date",
        "De opleiding valt (deels) buiten de tewerkstellingsperiode.",
        "La formation se situe (en partie) hors de la période d'occupation.",
        "Die Weiterbildung liegt (teilweise) außerhalb des Beschäftigungszeitraums.",
        "The training lies (partly) outside the employment period.",
    ),
    Anomaly(
        "W002",
        WARNING,
        "end_date",
        "De opleiding is als gevolgd aangegeven maar eindigt in de toekomst.",
        "La formation est déclarée suivie mais se termine dans le futur.",
        "Die Weiterbildung ist als besucht gemeldet, endet aber in der Zukunft.",
        "The training is declared completed but ends in the future.",
    ),
    Anomaly(
        "W003",
        WARNING,
        "duration_minutes",
        "Het krediet van de werknemer is overschreden ({remaining} resterend voor het "
        "meest overschreden jaar en soort recht).",
        "Le crédit du travailleur est dépassé ({remaining} restant pour l'année et le "
        "type de droit les plus dépassés).",
        "Das Guthaben des Arbeitnehmers ist überschritten ({remaining} verbleibend für "
        "Jahr und Anspruchsart mit der stärksten Überschreitung).",
        "The worker's credit is exceeded ({remaining} remaining for the most exceeded "
        "year and right type).",
    ),
    Anomaly(
        "W004",
        WARNING,
        "title",
        "Waarschijnlijk dubbele opleiding: {value} heeft dezelfde titel en begindatum.",
        "Formation probablement en double : {value} a le même titre et la même date de début.",
        "Wahrscheinlich doppelte Weiterbildung: {value} hat denselben Titel und Anfang.",
        "Probable duplicate training: {value} has the same title and start date.",
    ),
    Anomaly(
        "W005",
        WARNING,
        "status",
        "De opleiding staat nog als gepland maar de einddatum is voorbij.",
        "La formation est toujours planifiée mais sa date de fin est passée.",
        "Die Weiterbildung ist noch geplant, aber das Enddatum ist vorbei.",
        "The training is still planned but its end date has passed.",
    ),
    Anomaly(
        "W006",
        WARNING,
        "minutes",
        "Het aangegeven recht ({declared}) verschilt van het berekende ({computed}).",
        "Le droit déclaré ({declared}) diffère du droit calculé ({computed}).",
        "Der gemeldete Anspruch ({declared}) weicht vom berechneten ({computed}) ab.",
        "The declared right ({declared}) differs from the computed one ({computed}).",
    ),
    Anomaly(
        "W007",
        WARNING,
        "sector_minutes",
        "Het sectorrecht ligt onder de drempel van 2 dagen per voltijdse werknemer ({floor}).",
        "Le droit sectoriel est sous le plancher de 2 jours par travailleur à temps plein ({floor}).",
        "Der Sektoranspruch liegt unter der Grenze von 2 Tagen je Vollzeitkraft ({floor}).",
        "The sector right is below the floor of 2 days per full-time worker ({floor}).",
    ),
    Anomaly(
        "W008",
        WARNING,
        "certificate_valid_until",
        "Een geldigheidsdatum van het attest zonder behaald attest.",
        "Une date de validité du certificat sans certificat obtenu.",
        "Ein Gültigkeitsdatum des Zertifikats ohne erworbenes Zertifikat.",
        "A certificate validity date without a certificate obtained.",
    ),
    Anomaly(
        "W009",
        WARNING,
        "last_name",
        "De naam verschilt van die welke een andere werkgever van deze werknemer kent; "
        "de gekende naam blijft behouden.",
        "Le nom diffère de celui qu'un autre employeur connaît pour ce travailleur ; "
        "le nom connu est conservé.",
        "Der Name weicht von dem ab, den ein anderer Arbeitgeber für diesen Arbeitnehmer "
        "kennt; der bekannte Name bleibt.",
        "The name differs from the one another employer has on file for this worker; "
        "the name on file is kept.",
    ),
    Anomaly(
        "W010",
        WARNING,
        "employment.start_date",
        "De werknemer is jonger dan 15 jaar bij de start van de tewerkstelling "
        "(geboren op {birth}); de minimumleeftijd om te werken is 15 jaar.",
        "Le travailleur a moins de 15 ans au début de l'occupation (né le {birth}) ; "
        "l'âge minimum pour travailler est de 15 ans.",
        "Der Arbeitnehmer ist zu Beginn der Beschäftigung jünger als 15 Jahre (geboren "
        "am {birth}); das Mindestalter für eine Beschäftigung ist 15 Jahre.",
        "The worker is younger than 15 when the employment starts (born on {birth}); "
        "the minimum working age is 15.",
    ),
]

CATALOGUE: dict[str, Anomaly] = {entry.code: entry for entry in _ENTRIES}


def get(code: str) -> Anomaly:
    return CATALOGUE[code]


def render_markdown() -> str:
    """The catalogue as the Markdown page docs/anomalies.md."""
    lines = [
        "# Anomaly catalogue",
        "",
        "One catalogue for the online application, the API and BATCH. "
        "*Blocking*: the declaration is rejected and nothing of it is stored. "
        "*Warning*: the declaration is stored and flagged.",
        "",
        "Generated from `fla/declarations/anomalies.py` by `fla render-anomalies`; "
        "do not edit by hand.",
        "",
        "The *zone* column is the zone an anomaly is usually about, or a generic name; "
        "every answer (an API problem's `anomalies`, a dry run's outcome, a BATCH "
        "notification) names the zone it is actually about: E009 and E010 the date "
        "refused (`start_date`, `end_date`, `employment.start_date`, …); E016 to E020 the "
        "zone missing, too long, or holding the character, number or yes/no value "
        "refused; E006 `employment.end_date` for an employment; E014 "
        "`employment.joint_committee`; E026 `employment.regime`; E028 and W006 the right "
        "concerned, `legal_minutes`, `sector_minutes` or `employer_minutes` (W007 is "
        "always `sector_minutes`). E024's zone `version` is the version the request was "
        "based on: the member `if_version` of a training in a many-declarations body, the "
        "`If-Match` header of a `PUT` or `DELETE` (answered 412), the version of the form "
        "online.",
        "",
        "Dates are accepted from 1 January of `FLA_FIRST_YEAR` to 31 December of the "
        "year after next (this year + 2), else E009 (an employment's start from 1900 to "
        "the same end; its end from 1900 to 2199); years from `FLA_FIRST_YEAR` to next "
        "year (this year + 1), else E027.",
        "",
        "| code | severity | zone | nl | fr | de | en |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in _ENTRIES:
        cells = [
            entry.code,
            entry.severity,
            f"`{entry.zone}`",
            entry.nl,
            entry.fr,
            entry.de,
            entry.en,
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
