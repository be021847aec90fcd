from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "fla.ops"
    label = "ops"

    def ready(self) -> None:
        from fla.ops import heartbeat, priority

        if heartbeat.is_worker_process():
            priority.lower()
            heartbeat.start()
