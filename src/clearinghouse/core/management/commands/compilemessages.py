"""`clearinghouse compilemessages`: Django's command without GNU gettext (Babel compiles the .po)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clearinghouse.core import catalogues


class Command(BaseCommand):
    help = "Compile the translation catalogues (src/clearinghouse/locale) to .mo files with Babel."

    def handle(self, *args: Any, **options: Any) -> None:
        locale_dir = catalogues.LOCALE_DIR
        for mo in catalogues.compile_all(locale_dir):
            self.stdout.write(f"compiled {mo.relative_to(locale_dir.parent)}")
