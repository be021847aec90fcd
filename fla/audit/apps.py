from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fla.audit"
    label = "audit"
