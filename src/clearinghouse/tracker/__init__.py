"""Importers: the Kiel Institute tracker release, and spreadsheets (CSV/XLSX) of requirements and pledges."""
