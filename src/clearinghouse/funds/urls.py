"""Pages of the funds app."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.funds import views

urlpatterns: list[URLPattern] = [
    path("funds/", views.fund_list, name="fund-list"),
    path("funds/new/", views.fund_create, name="fund-create"),
    path("funds/keys/new/", views.key_create, name="burden-key-create"),
    path("funds/keys/<slug:code>/", views.burden_key_detail, name="burden-key-detail"),
    path("funds/<slug:slug>/", views.fund_detail, name="fund-detail"),
    path("funds/<slug:slug>/shares/", views.fund_shares, name="fund-shares"),
    path("funds/<slug:slug>/contributions/", views.fund_contributions, name="fund-contributions"),
    path("funds/<slug:slug>/contribute/", views.fund_contribute, name="fund-contribute"),
    path("funds/<slug:slug>/credit-pledge/", views.fund_credit_pledge, name="fund-credit-pledge"),
    path("funds/<slug:slug>/opt-out/", views.fund_opt_out, name="fund-opt-out"),
    path("funds/<slug:slug>/opt-out/withdraw/", views.fund_opt_out_cancel, name="fund-opt-out-withdraw"),
    path(
        "funds/<slug:slug>/contributions/<int:contribution_id>/reverse/",
        views.fund_reverse_contribution,
        name="fund-contribution-reverse",
    ),
]
