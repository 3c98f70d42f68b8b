"""Who may use the spreadsheet upload page (merged into tests/access.py).

Donor officers import pledges, the recipient's officers requirements; the others have nothing to
import and get 403.
"""

from __future__ import annotations

from tests.access_rules import Rule

IMPORTERS = frozenset({"donor_usa", "donor_deu", "donor_pol", "outsider", "recipient", "admin"})

PAGES: dict[str, Rule] = {
    "spreadsheet-import": Rule(IMPORTERS, denied=(403,)),
}
