"""Clearinghouse: coordination of security assistance to a country defending itself."""

__version__ = "0.1.0"
