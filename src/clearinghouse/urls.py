"""URL configuration: pages, the admin and the API."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from clearinghouse.api import api
from clearinghouse.core import views as core_views
from clearinghouse.participants import views as participant_views

admin.site.site_header = "Clearinghouse administration"

urlpatterns = [
    path("", participant_views.home, name="home"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", core_views.LogoutView.as_view(), name="logout"),
    path("participants/", participant_views.participant_list, name="participant-list"),
    path("participants/<str:code>/", participant_views.participant_detail, name="participant-detail"),
    path("audit/", core_views.audit_page, name="audit"),
    path("tokens/", core_views.tokens_page, name="tokens"),
    path("tokens/<int:token_id>/revoke/", core_views.revoke_token_page, name="token-revoke"),
    path("", include("clearinghouse.catalog.urls")),
    path("", include("clearinghouse.requirements.urls")),
    path("", include("clearinghouse.pledges.urls")),
    path("", include("clearinghouse.clearing.urls")),
    path("", include("clearinghouse.funds.urls")),
    path("", include("clearinghouse.ingest.urls")),
    path("", include("clearinghouse.reports.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler404 = "clearinghouse.core.views_errors.not_found"
