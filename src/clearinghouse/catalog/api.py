"""API routes of the catalog app: capability areas and item types with their price lists."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from clearinghouse.catalog import selectors
from clearinghouse.catalog.models import CapabilityArea, ItemType
from clearinghouse.catalog.schemas import CapabilityOut, ItemTypeOut
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut

router = Router(tags=["catalog"])


@router.get("/capabilities", response=list[CapabilityOut])
@paginate(LimitOffsetPagination)
def list_capabilities(request: HttpRequest) -> QuerySet[CapabilityArea]:
    """Capability areas (air defence, artillery, ...), in display order."""
    return selectors.capability_list(user=request.user)


@router.get("/item-types", response=list[ItemTypeOut])
@paginate(LimitOffsetPagination)
def list_item_types(
    request: HttpRequest, capability: str | None = None, family: str | None = None, q: str | None = None
) -> QuerySet[ItemType]:
    """Item types with their unit, compatibility family and dated reference prices."""
    return selectors.item_type_list(user=request.user, capability=capability, family=family, q=q)


@router.get("/item-types/{code}", response={200: ItemTypeOut, 404: ErrorOut})
def get_item_type(request: HttpRequest, code: str) -> ItemType:
    """One item type by code."""
    return selectors.get_item_type(user=request.user, code=code)
