"""App configuration for the catalogue."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def build_missing_search_documents(using, **kwargs) -> None:
    """Gives records written before their search tables existed (or by a migration) their
    search documents."""
    from catalogue.search import update_all_search_vectors

    update_all_search_vectors(missing_only=True, using=using)


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from catalogue import history, revision

        history.connect_signals()
        revision.connect_signals()
        post_migrate.connect(build_missing_search_documents, sender=self)
