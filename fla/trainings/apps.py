from django.apps import AppConfig


class TrainingsConfig(AppConfig):
    name = "fla.trainings"
    label = "trainings"
