"""App configuration for the catalogue."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def build_missing_search_documents(using, **kwargs) -> None:
    """Gives records written before their search tables existed (or by a migration) their
    search documents, unless the database was migrated back to before those tables."""
    from django.db import connections

    from catalogue.search import searched_models, terms_model, update_all_search_vectors

    tables = set(connections[using].introspection.table_names())
    if all(terms_model(model)._meta.db_table in tables for model in searched_models()):
        update_all_search_vectors(missing_only=True, using=using)


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from catalogue import history, revision

        history.connect_signals()
        revision.connect_signals()
        post_migrate.connect(build_missing_search_documents, sender=self)
