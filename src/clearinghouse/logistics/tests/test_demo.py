"""The logistics demo: one shipment in transit, one received with damage (a discrepancy); idempotent."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.logistics import demo
from clearinghouse.logistics.models import Shipment, Site
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def test_demo_seed(personas: dict[str, Any]) -> None:
    factories.allocation(personas, releasability="coordination")
    factories.allocation(personas, releasability="coordination")
    demo.seed(personas["admin"])
    demo.seed(personas["admin"])
    assert Site.objects.filter(code__startswith="DEMO-").count() == 4
    states = sorted(Shipment.objects.values_list("state", flat=True))
    assert states == ["in_transit", "received"]
    received = Shipment.objects.get(state="received")
    assert received.discrepancy == 3 and received.delivery is not None and received.delivery.quantity == 17
