import time

from django.core.management.base import BaseCommand

from fla.core.demo import generate


class Command(BaseCommand):
    help = "Generate a deterministic data set for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--employers", type=int, default=1)
        parser.add_argument("--workers", type=int, required=True)
        parser.add_argument("--trainings", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, employers: int, workers: int, trainings: int, seed: int, **options):
        started = time.perf_counter()
        result = generate(employers, workers, trainings, seed)
        self.stdout.write(f"Generated in {time.perf_counter() - started:.1f} s: {result}")
