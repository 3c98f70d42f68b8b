"""URL configuration: pages, the admin and the API."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from clearinghouse import views
from clearinghouse.api import api
from clearinghouse.core import health, metrics, views_account
from clearinghouse.core import views as core_views
from clearinghouse.participants import views as participant_views
from clearinghouse.participants import views_users
from clearinghouse.reports.views_country import country_page

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", core_views.LogoutView.as_view(), name="logout"),
    path("login/second-step/", views_account.login_mfa, name="login-mfa"),
    path("account/", views_account.account_page, name="account"),
    path("account/authenticator/", views_account.account_mfa, name="account-mfa"),
    path("account/authenticator/remove/", views_account.account_mfa_remove, name="account-mfa-remove"),
    path("account/recovery-codes/", views_account.account_recovery_codes, name="account-recovery-codes"),
    path("account/preferences/", views_account.account_preferences, name="account-preferences"),
    path("i18n/setlang/", views_account.language_set, name="set-language"),
    path("account/password/", views_account.account_password, name="account-password"),
    path("account/sessions/<int:session_id>/end/", views_account.session_revoke, name="session-revoke"),
    path("users/", views_users.user_list, name="user-list"),
    path("users/<str:username>/role/", views_users.user_role, name="user-role"),
    path("users/<str:username>/deactivate/", views_users.user_deactivate, name="user-deactivate"),
    path("views/save/", participant_views.saved_view_save, name="saved-view-save"),
    path("views/<int:view_id>/delete/", participant_views.saved_view_delete, name="saved-view-delete"),
    path("participants/", participant_views.participant_list, name="participant-list"),
    path("participants/<str:code>/", country_page, name="participant-detail"),
    path("import/", views.spreadsheet_import, name="spreadsheet-import"),
    path("audit/", core_views.audit_page, name="audit"),
    path("tokens/", core_views.tokens_page, name="tokens"),
    path("tokens/<int:token_id>/revoke/", core_views.revoke_token_page, name="token-revoke"),
    path("jobs/<int:job_id>/", core_views.job_progress, name="job-progress"),
    path("governance/meetings/<int:meeting_id>/", views.meeting_detail, name="meeting-detail"),
    path(
        "governance/meetings/<int:meeting_id>/briefing.pdf", views.meeting_briefing, name="meeting-briefing"
    ),
    path("", include("clearinghouse.governance.urls")),
    path("", include("clearinghouse.catalog.urls")),
    path("", include("clearinghouse.requirements.urls")),
    path("", include("clearinghouse.pledges.urls")),
    path("", include("clearinghouse.packages.urls")),
    path("", include("clearinghouse.logistics.urls")),
    path("", include("clearinghouse.clearing.urls")),
    path("", include("clearinghouse.funds.urls")),
    path("", include("clearinghouse.frameworks.urls")),
    path("", include("clearinghouse.tracker.urls")),
    path("", include("clearinghouse.reports.urls")),
    path("", include("clearinghouse.inbox.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

if settings.BENCH:
    # The reference of `clearinghouse bench http`: the whole middleware stack, no database work.
    urlpatterns.append(path("bench/bare", views.bench_bare, name="bench-bare"))

handler404 = "clearinghouse.core.views_errors.not_found"
