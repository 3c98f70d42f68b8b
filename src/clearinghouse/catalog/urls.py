"""Pages of the catalog app."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.catalog import views

urlpatterns: list[URLPattern] = [
    path("catalog/", views.catalog_list, name="catalog-list"),
    path("catalog/prices/new/", views.price_revise, name="catalog-price-revise"),
]
