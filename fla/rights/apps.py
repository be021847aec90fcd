from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "fla.rights"
    label = "rights"
