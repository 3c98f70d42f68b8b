"""API routes of the catalog app: capability areas and item types with their price lists."""

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from clearinghouse.catalog import selectors
from clearinghouse.catalog.schemas import CapabilityOut, ItemTypeOut
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut

router = Router(tags=["catalog"])


@router.get("/capabilities", response=list[CapabilityOut])
@paginate(LimitOffsetPagination)
def list_capabilities(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Capability areas (air defence, artillery, ...), in display order."""
    return selectors.capability_list(user=request.user)


@router.get("/item-types", response=list[ItemTypeOut])
@paginate(LimitOffsetPagination)
def list_item_types(  # type: ignore[no-untyped-def]
    request: HttpRequest, capability: str | None = None, family: str | None = None, q: str | None = None
):
    """Item types with their unit, compatibility family and dated reference prices."""
    return selectors.item_type_list(user=request.user, capability=capability, family=family, q=q)


@router.get("/item-types/{code}", response={200: ItemTypeOut, 404: ErrorOut})
def get_item_type(request: HttpRequest, code: str):  # type: ignore[no-untyped-def]
    """One item type by code."""
    return selectors.get_item_type(user=request.user, code=code)
