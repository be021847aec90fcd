from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "fla.ops"
    label = "ops"
