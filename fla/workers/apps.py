from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "fla.workers"
    label = "workers"
