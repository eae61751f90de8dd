"""App configuration for the synthetic catalogue generator (its management command)."""

from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    name = "synthetic"
    verbose_name = "Synthetic catalogues"
