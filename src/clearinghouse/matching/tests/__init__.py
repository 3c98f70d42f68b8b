"""Tests of the pure matching engine (plain pytest, no Django)."""
