"""Pages of the tracker app."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.tracker import views

urlpatterns: list[URLPattern] = [
    path("kiel/releases/", views.releases_page, name="kiel-releases"),
    path("kiel/releases/upload/", views.upload_page, name="kiel-upload"),
]
