"""manage.py export_catalogue: the whole catalogue as one JSON file (see `catalogue.dumps`)."""

import os
import tempfile
from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand

from catalogue.dumps import export_catalogue


class Command(BaseCommand):
    help = (
        "Writes the whole catalogue (reference data, sources, records with their relations and "
        "citations) to FILE as one JSON document keyed by slugs; '-' writes to standard output. "
        "An equal catalogue gives a byte-identical file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file to write, or - for standard output.")
        parser.add_argument(
            "--history", action="store_true", help="Include every version of every record."
        )

    def handle(self, *args, file: str, history: bool, **options):
        if file == "-":
            export_catalogue(partial(self.stdout.write, ending=""), with_history=history)
            return
        path = Path(file)
        # Written beside the target and renamed over it when complete, so that an export that
        # fails never leaves half a file behind.
        with tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            newline="\n",
            dir=path.parent,
            prefix=f".{path.name}.",
            delete=False,
        ) as temporary:
            try:
                counts = export_catalogue(temporary.write, with_history=history)
            except BaseException:
                os.unlink(temporary.name)
                raise
        os.replace(temporary.name, path)
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Exported {summary} to {file}."))
