"""Pages of the requirements app (a requirement's own page is a pledges page: pledges/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.requirements import views

urlpatterns: list[URLPattern] = [
    path("requirements/", views.requirement_list, name="requirement-list"),
    path("requirements/new/", views.requirement_create, name="requirement-create"),
    path("requirements/new/validate/", views.requirement_validate, name="requirement-validate"),
    path("requirements/<int:requirement_id>/edit/", views.requirement_edit, name="requirement-edit"),
    path(
        "requirements/<int:requirement_id>/edit/validate/",
        views.requirement_edit_validate,
        name="requirement-edit-validate",
    ),
    path("requirements/<int:requirement_id>/cancel/", views.requirement_cancel, name="requirement-cancel"),
]
