"""manage.py load_reference_data: countries, SDGs and the controlled vocabularies."""

from django.core.management.base import BaseCommand

from catalogue.reference_data import load_reference_data


class Command(BaseCommand):
    help = "Loads the reference data in fixtures/reference/; safe to run again."

    def handle(self, *args, **options):
        for file_name, count in load_reference_data().items():
            self.stdout.write(f"{file_name}: {count} rows")
