"""Catalog: capability areas, item types, compatibility families and dated reference unit values."""
