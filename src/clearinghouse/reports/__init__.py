"""Transparency reports: aggregates, charts, exports and the public page."""
