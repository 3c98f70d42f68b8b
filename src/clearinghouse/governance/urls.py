"""Pages of governance (the meeting page, which shows other apps' rows, is the project's)."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.governance import views

urlpatterns: list[URLPattern] = [
    path("governance/", views.governance_home, name="governance-home"),
    path("governance/bodies/<slug:code>/", views.body_detail, name="body-detail"),
    path("governance/decisions/", views.decision_list, name="decision-list"),
    path("governance/decisions/<int:decision_id>/", views.decision_detail, name="decision-detail"),
    path(
        "governance/decisions/<int:decision_id>/position/", views.decision_position, name="decision-position"
    ),
    path("governance/decisions/<int:decision_id>/close/", views.decision_close, name="decision-close"),
    path("governance/handovers/propose/", views.handover_propose, name="handover-propose"),
    path("governance/handovers/<int:handover_id>/accept/", views.handover_accept, name="handover-accept"),
    path("governance/meetings/", views.meeting_list, name="meeting-list"),
    path("governance/meetings/new/", views.meeting_create, name="meeting-create"),
]
