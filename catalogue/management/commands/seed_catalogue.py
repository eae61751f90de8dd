"""manage.py seed_catalogue: load the seed catalogue into an empty catalogue."""

from django.core.management.base import BaseCommand, CommandError

from catalogue.seed import SeedError, load_seed_catalogue


class Command(BaseCommand):
    help = (
        "Loads the seed catalogue (fixtures/seed/) if the catalogue holds no records yet; "
        "otherwise leaves it untouched."
    )

    def handle(self, *args, **options):
        try:
            loaded = load_seed_catalogue()
        except SeedError as error:
            raise CommandError(str(error)) from error
        if loaded:
            self.stdout.write(self.style.SUCCESS("Loaded the seed catalogue."))
        else:
            self.stdout.write("The catalogue already holds records; the seed was not loaded.")
