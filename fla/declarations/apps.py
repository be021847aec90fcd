from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "fla.declarations"
    label = "declarations"
