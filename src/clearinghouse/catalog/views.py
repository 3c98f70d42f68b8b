"""Pages of the catalog: item types with their unit, compatibility family and reference price."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clearinghouse.catalog import selectors, services
from clearinghouse.catalog.forms import PriceRevisionForm
from clearinghouse.core import clock
from clearinghouse.core.errors import DomainError
from clearinghouse.core.forms import without_field
from clearinghouse.core.humanize import money_exact


@login_required
def catalog_list(request: HttpRequest) -> HttpResponse:
    """Item types by capability area, with the reference price in force today and its history."""
    capability = request.GET.get("capability") or ""
    q = (request.GET.get("q") or "").strip()
    items = selectors.item_type_list(user=request.user, capability=capability or None, q=q or None)
    page = Paginator(items, 100).get_page(request.GET.get("page"))
    today = clock.today()
    rows = []
    for item in page.object_list:
        prices = sorted(item.prices.all(), key=lambda p: p.valid_from)  # prefetched: no query
        in_force = [p for p in prices if p.valid_from <= today]
        rows.append((item, in_force[-1] if in_force else None, prices))
    return render(
        request,
        "catalog/catalog_list.html",
        {
            "page": page,
            "rows": rows,
            "capabilities": selectors.capability_list(user=request.user),
            "capability": capability,
            "q": q,
            "can_revise": services.can_revise_prices(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def price_revise(request: HttpRequest) -> HttpResponse:
    """Revise a reference price (the coordination cell and admins): a new dated entry, the same service
    as `clearinghouse catalog price`; earlier entries and the valuations made with them stay."""
    if not services.can_revise_prices(request.user):
        raise DjangoPermissionDenied("Only the coordination cell or an admin revises reference prices.")
    initial = {"item_type": request.GET.get("item_type", ""), "valid_from": clock.today()}
    form = PriceRevisionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            price = services.revise_price(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, without_field(exc.message, exc.field) if field else exc.message)
        else:
            messages.success(
                request,
                f"{price.item_type.code}: {money_exact(price.unit_value, price.currency)} "
                f"from {price.valid_from.isoformat()}.",
            )
            return redirect(f"{reverse('catalog-list')}?q={price.item_type.code}")
    context = {
        "form": form,
        "title": "Revise a reference price",
        "intro": "A revision adds a dated entry to the price list: valuations made before its date keep "
        "the price they were given.",
        "button": "Add the price",
        "cancel_url": reverse("catalog-list"),
    }
    return render(request, "core/form_page.html", context, status=422 if form.errors else 200)
