"""API routes of packages: create, list, show, move along the states, add contracts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut
from clearinghouse.core.validation import Id
from clearinghouse.packages import selectors, services
from clearinghouse.packages.schemas import ContractIn, PackageIn, PackageOut, TransitionIn

router = Router(tags=["packages"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _out(request: HttpRequest, package_id: int) -> dict[str, Any]:
    return selectors.package_dict(selectors.get_package(user=request.user, package_id=package_id))


@router.get("", response=list[PackageOut])
@paginate(LimitOffsetPagination)
def list_packages(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    """Packages releasable to you, with price and funding in EUR, state and contracts."""
    return [selectors.package_dict(p) for p in selectors.package_list(user=request.user, state=state)]


@router.post("", response={201: PackageOut, **ERRORS})
def create_package(request: HttpRequest, payload: PackageIn) -> Status[Any]:
    """Propose a package (the coordination cell or the implementer's officers): contents and funders,
    converted to EUR at the ECB rate of its value date."""
    data = payload.dict()
    data["items"] = [i.dict() for i in payload.items]
    data["funders"] = [{k: v for k, v in f.dict().items() if v is not None} for f in payload.funders]
    package = services.create_package(actor=request.user, data=data)
    return Status(201, _out(request, package.pk))


@router.get("/{package_id}", response={200: PackageOut, 404: ErrorOut})
def get_package(request: HttpRequest, package_id: Id) -> dict[str, Any]:
    """One package, if releasable to you."""
    return _out(request, package_id)


@router.post("/{package_id}/transition", response={200: PackageOut, **ERRORS})
def transition_package(request: HttpRequest, package_id: Id, payload: TransitionIn) -> dict[str, Any]:
    """Move the package: to `funded` while funding is short is a 409 naming the shortfall; to
    `contracted` puts its schedules into the clearing house; `cancelled` needs a reason."""
    services.transition_package(
        actor=request.user, package_id=package_id, to=payload.to, reason=payload.reason
    )
    return _out(request, package_id)


@router.post("/{package_id}/contracts", response={201: PackageOut, **ERRORS})
def add_contract(request: HttpRequest, package_id: Id, payload: ContractIn) -> Status[Any]:
    """Add a contract and its monthly delivery schedule; a schedule delivering more than the
    package's contents is a 422."""
    data = payload.dict()
    data["schedule"] = [s.dict() for s in payload.schedule]
    services.add_contract(actor=request.user, package_id=package_id, data=data)
    return Status(201, _out(request, package_id))
