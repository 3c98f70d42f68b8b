"""Kiel releases by upload: the release's CSV files (or one ZIP of them) from a page or the API.

The files are checked for what an upload can get wrong (names, sizes, a ZIP's paths) and bundled as
one ZIP that travels with the background job (`tracker/jobs.py`, `import.kiel_upload`); the job
unpacks it into a temporary directory and imports it with the very service the command line uses
(`services.import_kiel_release`): the same all-or-nothing checks, the same errors naming file,
row and column, the same audit.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from clearinghouse.core.errors import InvalidInput
from clearinghouse.tracker.kiel import OPTIONAL_FILES, REQUIRED_FILES

RELEASE_FILES = (*REQUIRED_FILES, *OPTIONAL_FILES)
MAX_BYTES = 20 * 1024 * 1024  # all the files together, as uploaded or unpacked
BUNDLE_NAME = "release.zip"


def _base(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).name


def _unzip(name: str, content: bytes) -> list[tuple[str, bytes]]:
    """The CSV files of a ZIP (by base name; folders, and files other than CSV, are left out)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise InvalidInput(f"{name}: not a ZIP file", field="files") from None
    with archive:
        members = [
            i
            for i in archive.infolist()
            if not i.is_dir()
            and not _base(i.filename).startswith(".")
            and "__MACOSX" not in i.filename
            and i.filename.lower().endswith(".csv")
        ]
        if sum(i.file_size for i in members) > MAX_BYTES:
            raise InvalidInput(
                f"{name}: the files unpack to more than {MAX_BYTES // (1024 * 1024)} MB", field="files"
            )
        return [(_base(i.filename), archive.read(i)) for i in members]


def bundle(files: list[tuple[str, bytes]]) -> bytes:
    """The uploaded files (CSV files, or one ZIP of them) as one ZIP of the release's files.

    InvalidInput names the file: not a CSV or ZIP, not a file of a Kiel release, given twice, too
    large. Missing files are reported by the import itself (as on the command line).
    """
    if not files:
        raise InvalidInput("files: upload the release's CSV files, or a ZIP of them", field="files")
    if sum(len(c) for _, c in files) > MAX_BYTES:
        raise InvalidInput(f"files: more than {MAX_BYTES // (1024 * 1024)} MB in all", field="files")
    found: list[tuple[str, bytes]] = []
    for name, content in files:
        lower = name.lower()
        if lower.endswith(".zip"):
            found += _unzip(name, content)
        elif lower.endswith(".csv"):
            found.append((_base(name), content))
        else:
            raise InvalidInput(f"{name}: not a CSV file or a ZIP of them", field="files")
    seen: set[str] = set()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in found:
            if name not in RELEASE_FILES:
                raise InvalidInput(
                    f"{name}: not a file of a Kiel release (expected {', '.join(RELEASE_FILES)})",
                    field="files",
                )
            if name in seen:
                raise InvalidInput(f"{name}: given twice", field="files")
            seen.add(name)
            archive.writestr(name, content)
    return out.getvalue()


def unpack(content: bytes, directory: Path) -> Path:
    """Write a bundle's files into `directory` (only the release's own names: no path escapes)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            name = _base(info.filename)
            if name in RELEASE_FILES:
                (directory / name).write_bytes(archive.read(info))
    return directory
