from django.core.management.base import BaseCommand

from fla.api.reference import write_files


class Command(BaseCommand):
    help = "Write the API's OpenAPI document to docs/openapi.json and docs/api-reference.md."

    def handle(self, *args, **options):
        for path in write_files():
            self.stdout.write(f"wrote {path}")
