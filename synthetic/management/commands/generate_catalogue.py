"""manage.py generate_catalogue: fill an empty database with a synthetic catalogue."""

import time

from django.core.management.base import BaseCommand, CommandError

from synthetic.generator import DEFAULT_BATCH_SIZE, GenerationRefused, generate_catalogue


class Command(BaseCommand):
    help = (
        "Fills an empty catalogue with a deterministic synthetic one of N initiatives and, in "
        "proportion, actors, cities, courses, agreements and sources, to measure Sciplo at "
        "scale. Needs the reference data (manage.py load_reference_data); keeps no history."
    )

    def add_arguments(self, parser):
        parser.add_argument("--initiatives", type=int, required=True, metavar="N")
        parser.add_argument(
            "--seed", type=int, default=0, help="The same N and seed give the same catalogue."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            metavar="B",
            help="Rows written per insert (default %(default)s).",
        )
        parser.add_argument(
            "--drop-indexes",
            action="store_true",
            help="On PostgreSQL, drop the tables' plain indexes and foreign keys while writing "
            "and make them again after: faster for large catalogues, and the tables are locked "
            "meanwhile.",
        )

    def handle(self, *args, initiatives, seed, batch_size, drop_indexes, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        started = time.monotonic()
        try:
            counts = generate_catalogue(
                initiatives=initiatives,
                seed=seed,
                batch_size=batch_size,
                drop_indexes=drop_indexes,
                progress=self.stdout.write if verbosity > 0 else lambda message: None,
            )
        except GenerationRefused as error:
            raise CommandError(str(error)) from error
        if verbosity > 0:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated {sum(counts.values()):,} rows (seed {seed}) in "
                    f"{time.monotonic() - started:.1f} s."
                )
            )
            if verbosity > 1:
                for label, count in sorted(counts.items()):
                    self.stdout.write(f"  {label}: {count:,}")
