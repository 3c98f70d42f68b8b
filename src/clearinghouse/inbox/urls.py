"""Pages of the inbox app."""

from __future__ import annotations

from django.urls import path

from clearinghouse.inbox import views

urlpatterns = [
    path("inbox/", views.inbox_page, name="inbox"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
    path("notifications/preferences/", views.notification_preferences, name="notification-preferences"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification-read"),
]
