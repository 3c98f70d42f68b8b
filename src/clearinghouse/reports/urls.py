"""Pages of the reports app: the transparency dashboard and the public page."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.reports import views, views_search

urlpatterns: list[URLPattern] = [
    path("reports/", views.dashboard, name="reports-dashboard"),
    path("search/", views_search.search_page, name="search"),
    path("public/", views.public_transparency, name="public-transparency"),
    path("public/export/<str:report>.<str:fmt>", views.public_export, name="public-export"),
    path("public/iati.xml", views.public_iati, name="public-iati"),
]
