"""Choices of the catalog app (none yet: capability areas and item types are data, not code)."""

from __future__ import annotations
