import time

from django.core.management.base import BaseCommand, CommandError

from fla.core.demo import seed_demo
from fla.employers.models import Employer


class Command(BaseCommand):
    help = "Load the demo data: three employers, a social secretariat and demo users."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already has employers",
        )
        parser.add_argument("--seed", type=int, default=2024)

    def handle(self, *args, if_empty: bool, seed: int, **options):
        if Employer.objects.exists():
            if if_empty:
                self.stdout.write("Demo data already present; nothing to do.")
                return
            raise CommandError("The database already has employers; use an empty database.")
        started = time.perf_counter()
        result = seed_demo(seed=seed)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Loaded demo data in {elapsed:.1f} s: {result}")
