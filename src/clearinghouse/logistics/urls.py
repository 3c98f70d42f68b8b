"""Pages of logistics."""

from __future__ import annotations

from django.urls import URLPattern, path

from clearinghouse.logistics import views

urlpatterns: list[URLPattern] = [
    path("shipments/", views.shipment_list, name="shipment-list"),
    path("shipments/new/", views.shipment_create, name="shipment-create"),
    path("shipments/carrier-import/", views.carrier_import, name="shipment-carrier-import"),
    path("shipments/<int:shipment_id>/", views.shipment_detail, name="shipment-detail"),
    path("shipments/<int:shipment_id>/event/", views.shipment_event, name="shipment-event"),
    path("shipments/<int:shipment_id>/receipt/", views.shipment_receipt, name="shipment-receipt"),
    path("shipments/<int:shipment_id>/resolve/", views.shipment_resolve, name="shipment-resolve"),
    path("shipments/<int:shipment_id>/end-use/", views.shipment_end_use, name="shipment-end-use"),
    path("sites/", views.site_list, name="site-list"),
]
