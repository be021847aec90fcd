from django.apps import AppConfig


class EmployersConfig(AppConfig):
    name = "fla.employers"
    label = "employers"
