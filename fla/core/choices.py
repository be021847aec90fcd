"""Code lists shared by every app (the 'codes' of the channels)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RightType(models.TextChoices):
    LEGAL = "legal", _("Wettelijk")
    SECTOR = "sector", _("Sector")
    EMPLOYER = "employer", _("Werkgever")


class RightSource(models.TextChoices):
    COMPUTED = "computed", _("Berekend")
    DECLARED = "declared", _("Aangegeven")


class SizeClass(models.TextChoices):
    SMALL = "lt10", _("Minder dan 10 VTE")
    MEDIUM = "10to19", _("10 tot 19 VTE")
    LARGE = "20plus", _("20 VTE of meer")


class TrainingKind(models.TextChoices):
    FORMAL = "formal", _("Formeel")
    INFORMAL = "informal", _("Informeel")


class TrainingStatus(models.TextChoices):
    PLANNED = "planned", _("Gepland")
    COMPLETED = "completed", _("Gevolgd")
    NOT_FOLLOWED = "not_followed", _("Niet gevolgd")
    CANCELLED = "cancelled", _("Geannuleerd")


class Channel(models.TextChoices):
    WEB = "web", _("Online toepassing")
    API = "api", _("API")
    BATCH = "batch", _("BATCH")
    SYSTEM = "system", _("Systeem")


class Role(models.TextChoices):
    READ = "read", _("Raadplegen")
    DECLARE = "declare", _("Aangeven")
    MANAGE = "manage", _("Toegangsbeheerder")


class Language(models.TextChoices):
    NL = "nl", "Nederlands"
    FR = "fr", "Français"
    DE = "de", "Deutsch"
    EN = "en", "English"
