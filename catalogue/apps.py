"""App configuration for the catalogue."""

from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from catalogue.history import connect_signals

        connect_signals()
