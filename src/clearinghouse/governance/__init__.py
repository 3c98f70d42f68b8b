"""Governance: bodies with dated membership, meetings, decisions by procedure, mandate handovers."""
