from django.core.management.base import BaseCommand, CommandError

from bench.seed import SCALES, SeedRefused, seed


class Command(BaseCommand):
    help = "Load benchmark data (organisations, users, cases, grants, tasks, selectors) into PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), required=True)
        parser.add_argument("--reset", action="store_true", help="Empty every portal table first.")
        parser.add_argument("--random-seed", type=int, default=10, help="The same seed gives the same data.")

    def handle(self, *args, **options):
        try:
            result = seed(
                scale_name=options["scale"],
                reset=options["reset"],
                seed_value=options["random_seed"],
                progress=self.stdout.write,
            )
        except SeedRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{result['scale']}: {result['counts']} in {sum(result['seconds'].values()):.0f} s")
