"""Participants of the contact group, their groups, coordination mandates, people and roles."""
