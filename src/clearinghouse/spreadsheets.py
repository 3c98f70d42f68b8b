"""Spreadsheets of requirements or pledges by kind: for the doors that take either (`clearinghouse
import requirements|pledges`, the upload page). Each kind's import and export is its app's own
(requirements/spreadsheets.py, pledges/spreadsheets.py) over the shared reader `core.tabular`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearinghouse.core import tabular
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.tabular import ImportSummary, Progress
from clearinghouse.pledges import spreadsheets as pledge_spreadsheets
from clearinghouse.requirements import spreadsheets as requirement_spreadsheets

_MODULES = {"requirements": requirement_spreadsheets, "pledges": pledge_spreadsheets}
COLUMNS: dict[str, tuple[str, ...]] = {kind: module.COLUMNS for kind, module in _MODULES.items()}
KINDS = tuple(COLUMNS)


def _module(kind: str) -> Any:
    if kind not in _MODULES:
        raise InvalidInput(f"kind: {kind!r} is not one of {', '.join(KINDS)}", field="kind")
    return _MODULES[kind]


def import_file(
    *, actor: Actor, path: Path, kind: str, progress: Progress | None = None, name: str | None = None
) -> ImportSummary:
    """Import a CSV or XLSX file of requirements or pledges, all or nothing, as `actor`."""
    return _module(kind).import_file(actor=actor, path=path, progress=progress, name=name)  # type: ignore[no-any-return]  # module by kind


def export_file(*, user: Actor, kind: str, fmt: str, **filters: Any) -> tuple[bytes, str, str]:
    """What `user` may see of `kind` as a file: (content, content type, file name)."""
    tabular.check_format(fmt)
    return _module(kind).export_file(user=user, fmt=fmt, **filters)  # type: ignore[no-any-return]  # module by kind
