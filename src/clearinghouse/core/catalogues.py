"""The translation catalogues without GNU gettext: compile .po to .mo and check them with Babel.

    python -m clearinghouse.core.catalogues compile   # every locale/*/LC_MESSAGES/django.po -> .mo
    python -m clearinghouse.core.catalogues check     # fails on untranslated, fuzzy, bad or stale

`clearinghouse compilemessages` (core's management command, in place of Django's, which needs
msgfmt) and `make install` compile; `make lint` and core/tests/test_i18n.py check. The check prints
msgfmt --statistics' line per language. Nothing here imports Django settings (docs/i18n.md).
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "django"
# The languages that must be complete; English is the source language and needs no catalogue.
REQUIRED = ("fr", "uk")


@dataclass
class Report:
    """What one catalogue holds, as msgfmt --statistics counts it, and what is wrong with it."""

    language: str
    translated: int = 0
    fuzzy: int = 0
    untranslated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def statistics(self) -> str:
        return (
            f"{self.language}: {self.translated} translated messages, {self.fuzzy} fuzzy translations, "
            f"{self.untranslated} untranslated messages."
        )

    @property
    def complete(self) -> bool:
        return not (self.fuzzy or self.untranslated or self.errors)


def po_path(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def _mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def inspect(language: str, locale_dir: Path = LOCALE_DIR) -> tuple[Report, Catalog | None]:
    """Count and check one language's catalogue (placeholders, plural forms, Babel's checkers)."""
    report = Report(language)
    path = po_path(language, locale_dir)
    if not path.exists():
        report.errors.append(f"{path}: missing")
        return report, None
    try:
        catalog = read_catalogue(path)
    except Exception as exc:  # a syntax error of the .po file: Babel raises its own or ValueError
        report.errors.append(f"{path}: does not parse: {exc}")
        return report, None
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy:
            report.fuzzy += 1
        elif not all(strings):
            report.untranslated += 1
        else:
            report.translated += 1
    for message, errors in catalog.check():
        for error in errors:
            report.errors.append(f"{path}:{message.lineno}: {message.id!r}: {error}")
    return report, catalog


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write the .mo of every .po under `locale_dir`; returns the files written."""
    written = []
    for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        data = _mo_bytes(read_catalogue(po))
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
        written.append(mo)
    return written


def check(locale_dir: Path = LOCALE_DIR, out: io.TextIOBase | None = None) -> list[Report]:
    """Every required catalogue complete, compiling, and its shipped .mo up to date."""
    stream = out or sys.stdout
    reports = []
    for language in REQUIRED:
        report, catalog = inspect(language, locale_dir)
        if catalog is not None and not report.errors:
            mo = po_path(language, locale_dir).with_suffix(".mo")
            if not mo.exists() or mo.read_bytes() != _mo_bytes(catalog):
                report.errors.append(f"{mo}: missing or stale, run `clearinghouse compilemessages`")
        print(report.statistics, file=stream)
        for error in report.errors:
            print(f"  {error}", file=stream)
        reports.append(report)
    return reports


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "check"
    if command == "compile":
        for mo in compile_all():
            print(f"compiled {mo.relative_to(LOCALE_DIR.parent)}")
        return 0
    if command == "check":
        return 0 if all(r.complete for r in check()) else 1
    print("usage: python -m clearinghouse.core.catalogues [compile|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
