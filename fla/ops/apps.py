from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "fla.ops"
    label = "ops"

    def ready(self) -> None:
        from fla.ops import heartbeat

        if heartbeat.is_worker_process():
            heartbeat.start()
