from django.apps import AppConfig


class BatchConfig(AppConfig):
    name = "fla.batch"
    label = "batch"
