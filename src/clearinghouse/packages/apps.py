from __future__ import annotations

from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "clearinghouse.packages"
    label = "packages"
    verbose_name = "Packages"
