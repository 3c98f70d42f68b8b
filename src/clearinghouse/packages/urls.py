"""Pages of packages."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.packages import views

urlpatterns: list[URLPattern] = [
    path("packages/", views.package_list, name="package-list"),
    path("packages/new/", views.package_create, name="package-create"),
    path("packages/<int:package_id>/", views.package_detail, name="package-detail"),
    path("packages/<int:package_id>/transition/", views.package_transition, name="package-transition"),
    path("packages/<int:package_id>/contracts/", views.package_contract, name="package-contract"),
]
