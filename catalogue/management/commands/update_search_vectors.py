"""manage.py update_search_vectors: rebuild the stored search documents of every record."""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from catalogue.search import update_all_search_vectors


class Command(BaseCommand):
    help = (
        "Rebuilds the stored search document of every record, after writes that "
        "bypass the catalogue's signals: bulk inserts, raw fixture loads, direct SQL."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing", action="store_true", help="Only build the records that have none yet."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, missing, database, **options):
        update_all_search_vectors(missing_only=missing, using=database)
        self.stdout.write(self.style.SUCCESS("Search documents are up to date."))
