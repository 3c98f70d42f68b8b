"""Pages of the pledges app."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.pledges import views, views_offers, views_requirement

urlpatterns: list[URLPattern] = [
    path("pledges/", views.pledge_list, name="pledge-list"),
    path("pledges/new/", views.pledge_create, name="pledge-create"),
    path("pledges/offers/", views_offers.offer_list, name="offer-list"),
    path("pledges/offers/accept/", views_offers.offer_accept, name="offer-accept"),
    path("pledges/servable/", views_offers.servable_list, name="requirements-servable"),
    path("pledges/new/validate/", views.pledge_validate, name="pledge-validate"),
    path("pledges/<int:pledge_id>/", views.pledge_detail, name="pledge-detail"),
    path("pledges/<int:pledge_id>/edit/", views.pledge_edit, name="pledge-edit"),
    path("pledges/<int:pledge_id>/edit/validate/", views.pledge_edit_validate, name="pledge-edit-validate"),
    path("pledges/<int:pledge_id>/transition/", views.pledge_transition, name="pledge-transition"),
    path("pledges/<int:pledge_id>/allocate/", views.pledge_allocate, name="pledge-allocate"),
    path("pledges/<int:pledge_id>/deliveries/", views.delivery_record, name="delivery-record"),
    path("deliveries/<int:delivery_id>/confirm/", views.delivery_confirm, name="delivery-confirm"),
    path("allocations/<int:allocation_id>/change/", views.allocation_change, name="allocation-change"),
    path("allocations/<int:allocation_id>/release/", views.allocation_release, name="allocation-release"),
    path(
        "requirements/<int:requirement_id>/",
        views_requirement.requirement_detail,
        name="requirement-detail",
    ),
    path(
        "requirements/<int:requirement_id>/allocate/",
        views_requirement.requirement_allocate,
        name="requirement-allocate",
    ),
]
