from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fla.core"
    label = "core"
