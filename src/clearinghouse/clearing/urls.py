"""Pages of the clearing app."""

from __future__ import annotations

from django.urls import path

from clearinghouse.clearing import views

urlpatterns = [
    path("clearing/", views.clearing_home, name="clearing-home"),
    path("clearing/coalitions/<slug:code>/", views.coalition_detail, name="coalition-detail"),
    path("clearing/runs/<int:run_id>/", views.run_detail, name="clearing-run"),
    path("clearing/runs/<int:run_id>/accept/", views.run_accept, name="clearing-run-accept"),
    path("clearing/scenario/", views.scenario, name="clearing-scenario"),
    path("shortfalls/", views.shortfalls, name="clearing-shortfalls"),
]
