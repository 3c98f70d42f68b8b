"""Pages of the frameworks app."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.frameworks import views

urlpatterns: list[URLPattern] = [
    path("frameworks/", views.framework_list, name="framework-list"),
    path("frameworks/<slug:slug>/", views.framework_detail, name="framework-detail"),
]
