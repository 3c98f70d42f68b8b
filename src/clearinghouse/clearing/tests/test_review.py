"""Reviewing a clearing run on its page: proposals grouped by capability area and priority, the run's
impact on coverage, links to every requirement and pledge, a warning when the data changed since the
run, scenarios side by side with the baseline, reasons in words, and no Python structure anywhere."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from tests.page_text import python_structures, visible_text

from clearinghouse.clearing import review, services
from clearinghouse.requirements import services as requirement_services

pytestmark = pytest.mark.django_db


def _page(client: Any, run_id: int) -> str:
    response = client.get(reverse("clearing-run", args=[run_id]))
    assert response.status_code == 200
    return str(response.content.decode())


def test_proposals_are_grouped_with_links_and_the_impact_on_coverage(
    situation: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    run = services.run_matching(actor=personas["coordinator"])
    proposals = list(run.proposals.select_related("requirement"))
    assert proposals
    html = _page(page_client(personas["coordinator"]), run.pk)
    # One group per capability area and priority, the critical one first within ammunition.
    groups = re.findall(r'id="group-([a-z-]+)-(critical|high|medium|low)"', html)
    expected = sorted({(p.requirement.capability.code, p.requirement.priority) for p in proposals})
    assert sorted(groups) == expected and groups[0] == ("ammunition", "critical")
    assert "Ammunition" in html.split('id="group-ammunition-critical"')[1].split("</tr>")[0]
    # A link to every requirement and pledge of the run, named the one way (R12, P7).
    for p in proposals:
        assert f'<a href="/requirements/{p.requirement_id}/">R{p.requirement_id}</a>' in html
        assert f'<a href="/pledges/{p.pledge_id}/">P{p.pledge_id}</a>' in html
    # Impact: the critical need has nothing allocated yet and the proposals cover it whole.
    impact = review.coverage_impact(user=personas["coordinator"], run=run, proposals=proposals)
    critical = next(r for r in impact["rows"] if r["priority"] == "critical")
    assert critical["now_pct"] == 0 and critical["after_pct"] == Decimal(100)
    text = " ".join(visible_text(html.split('id="impact"')[1].split("</div>")[0]).split())
    assert "Critical coverage 0 % → 100 %" in text
    assert not python_structures(html)


def test_accepted_proposals_count_as_now_not_again(
    situation: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    run = services.run_matching(actor=personas["coordinator"])
    services.accept_proposals(actor=personas["coordinator"], run_id=run.pk)
    proposals = list(run.proposals.all())
    impact = review.coverage_impact(user=personas["coordinator"], run=run, proposals=proposals)
    critical = next(r for r in impact["rows"] if r["priority"] == "critical")
    assert critical["now_pct"] == critical["after_pct"] == Decimal(100) and impact["open"] == 0


def test_a_warning_when_the_data_changed_since_the_run(
    situation: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    run = services.run_matching(actor=personas["coordinator"])
    client = page_client(personas["coordinator"])
    assert 'id="data-changed"' not in _page(client, run.pk)
    # Accepting the run's own proposals is not a change behind its back.
    services.accept_proposals(actor=personas["coordinator"], run_id=run.pk)
    assert 'id="data-changed"' not in _page(client, run.pk)
    requirement_services.create_requirement(
        actor=personas["recipient"],
        data={
            "external_ref": "REQ-NEW",
            "capability": "ammunition",
            "item_types": ["AMM-155-HE"],
            "quantity": 10,
            "priority": "high",
            "needed_by": dt.date(2027, 3, 31),
            "releasability": "contact_group",
        },
    )
    html = _page(client, run.pk)
    banner = " ".join(visible_text(html.split('id="data-changed"')[1].split("</div>")[0]).split())
    assert "The data changed since this run." in banner and "1 requirement was written after it ran" in banner
    assert review.changes_since(run)["count"] == 1


def test_reasons_are_sentences_and_every_engine_reason_has_one(
    situation: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    run = services.run_matching(actor=personas["coordinator"])
    text = visible_text(_page(page_client(personas["auditor"]), run.pk))
    assert review.REASONS["no_compatible_offer"] in text
    assert "no_compatible_offer" not in text
    # Every reason code matching/explain.py can give has its sentence.
    source = (Path(review.__file__).parent.parent / "matching" / "explain.py").read_text()
    codes = set(re.findall(r'entry\["reason"\] = "([a-z_]+)"', source))
    codes |= set(re.findall(r'"[a-z_]+": "(taken_[a-z_]+|tie)"', source)) | {"taken_by_others"}
    assert codes and codes <= set(review.REASONS), codes - set(review.REASONS)


def test_a_scenario_side_by_side_with_its_baseline_in_words(
    situation: dict[str, Any], personas: dict[str, Any], page_client: Any
) -> None:
    run = services.run_scenario(actor=personas["coordinator"], scenario={"exclude_donors": ["USA"]})
    html = _page(page_client(personas["coordinator"]), run.pk)
    side = visible_text(html.split('id="side-by-side"')[1].split('id="comparison"')[0])
    assert "Baseline" in side and "This scenario" in side and "%" in side
    assert "Without the offers of USA." in visible_text(html)
    comparison = visible_text(html.split('id="comparison"')[1].split('id="newly-short"')[0])
    assert "Ammunition" in comparison and "Critical" in comparison
    assert "ammunition" not in comparison.replace("Ammunition", "")
    assert not python_structures(html), python_structures(html)


def test_the_python_structure_check_can_fail() -> None:
    assert python_structures("<p>{'a': 1}</p>") and python_structures("<td>Decimal('1.5')</td>")
    assert python_structures("<td title=\"['x']\">x</td>")
    assert not python_structures("<script>var a = {'a': 1}; b = ['x'];</script><p>48 % → 74 %</p>")


def test_explanations_link_every_requirement_and_pledge() -> None:
    from clearinghouse.clearing.templatetags.clearing_tags import linked_refs

    html = linked_refs("R12@2027-03 is short: P7 went to R3 <b>")
    assert html == (
        '<a href="/requirements/12/">R12@2027-03</a> is short: <a href="/pledges/7/">P7</a> went to '
        '<a href="/requirements/3/">R3</a> &lt;b&gt;'
    )
    assert linked_refs("PR12 XP7") == "PR12 XP7"
