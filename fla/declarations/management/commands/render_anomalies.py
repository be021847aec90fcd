from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from fla.declarations.anomalies import render_markdown


class Command(BaseCommand):
    help = "Write the anomaly catalogue to docs/anomalies.md."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "docs" / "anomalies.md")
        )

    def handle(self, *args, output: str, **options):
        Path(output).write_text(render_markdown(), encoding="utf-8")
        self.stdout.write(f"Wrote {output}")
