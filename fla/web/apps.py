from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fla.web"
    label = "web"
