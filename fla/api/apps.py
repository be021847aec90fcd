from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fla.api"
    label = "api"
