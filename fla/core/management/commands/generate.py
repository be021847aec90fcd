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
        parser.add_argument(
            "--direct", action="store_true",
            help="Write the same data with bulk inserts (COPY on PostgreSQL) instead of "
                 "declaring it through the write path: for millions of rows.")  # fmt: skip
        parser.add_argument("--progress", action="store_true", help="Print progress lines.")

    def handle(self, *args, employers: int, workers: int, trainings: int, seed: int,
               direct: bool, progress: bool, **options):  # fmt: skip
        started = time.perf_counter()

        def report(line: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:7.1f} s] {line}")
            self.stdout.flush()

        result = generate(employers, workers, trainings, seed, direct=direct,
                          progress=report if progress else None)  # fmt: skip
        numbers = result["employers"]
        if len(numbers) > 5:  # thousands of employers: their count, not their numbers
            result["employers"] = [*numbers[:3], f"... {len(numbers)} in all"]
        self.stdout.write(f"Generated in {time.perf_counter() - started:.1f} s: {result}")
