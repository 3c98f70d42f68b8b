"""English pages keep British formats (`2 December 2026`, `14:05`), as before languages were added."""

from django.conf.locale.en_GB.formats import *  # noqa: F403
