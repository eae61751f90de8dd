"""manage.py import_catalogue: load a dump that export_catalogue wrote (see `catalogue.dumps`)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.dumps import DumpInvalid, import_catalogue


class Command(BaseCommand):
    help = (
        "Loads FILE, a dump written by export_catalogue ('-' reads standard input), into a "
        "catalogue without records, sources or history; reference data already there is "
        "updated. All or nothing: a file with any problem is refused whole and every problem "
        "listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The dump to load, or - for standard input.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the records, sources and history there are first (in the same "
            "transaction: a refused file leaves them as they were).",
        )

    def handle(self, *args, file: str, replace: bool, **options):
        origin = "standard input" if file == "-" else file
        try:
            data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        try:
            counts = import_catalogue(data, origin=origin, replace=replace)
        except DumpInvalid as error:
            problems = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(f"{origin} was refused; nothing was changed.\n{problems}") from None
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Imported {summary} from {origin}."))
