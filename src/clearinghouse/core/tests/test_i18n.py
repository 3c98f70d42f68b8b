"""Languages (issue 20): English, French and Ukrainian pages, complete catalogues, formats, zones.

The "no English sentence" check covers the pages translated in full: /login/, /public/, the home
dashboard, the account page, the 404 page, the participants' list and page, and the API tokens page
(docs/i18n.md lists them).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.text import capfirst

from clearinghouse.core import catalogues, humanize
from clearinghouse.core.account_services import set_preferences
from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.models import AuditEvent
from clearinghouse.participants.models import CoordinationMandate as Mandate
from clearinghouse.participants.models import Participant

# English words that, two or more in one piece of text, make it an English sentence.
ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "in",
        "is",
        "are",
        "by",
        "for",
        "with",
        "your",
        "you",
        "no",
        "not",
        "this",
        "there",
        "from",
        "sign",
        "open",
        "or",
        "any",
        "may",
        "see",
        "has",
        "have",
        "be",
        "will",
        "yet",
        "all",
        "their",
        "every",
        "none",
        "only",
        "more",
        "less",
        "than",
        "at",
        "on",
    ]
)
# Text that is the same in every language: names and codes, not sentences.
ALLOWED = {"Clearinghouse", "API", "CSV", "XLSX", "HXL", "JSON", "EUR", "EN", "FR", "UK"}


class _Text(HTMLParser):
    """Visible text nodes and the title/aria-label/placeholder attributes a person reads."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder") and value:
                self.pieces.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.pieces.append(data.strip())


def english_sentences(html: str, data: set[str]) -> list[str]:
    parser = _Text()
    parser.feed(html)
    found = []
    for piece in parser.pieces:
        if piece in ALLOWED or any(piece in d for d in data):
            continue
        for d in data:
            piece = piece.replace(d, " ")
        words = re.findall(r"[a-z]+", piece.lower())
        if sum(w in ENGLISH for w in words) >= 2:
            found.append(piece)
    return found


def _data_strings() -> set[str]:
    """Data shown as stored (the mandates' notes and sources, capability names, usernames)."""
    strings = {m.notes for m in Mandate.objects.all()} | {m.source for m in Mandate.objects.all()}
    from clearinghouse.catalog.models import CapabilityArea

    strings |= {c.name for c in CapabilityArea.objects.all()}
    # Not yet translated (docs/i18n.md): the reports' source line and suppression rule, which the
    # CSV exports and the API share.
    from clearinghouse.reports import linked
    from clearinghouse.reports import selectors as report_selectors

    strings |= {capfirst(linked.RULE), capfirst(linked.UNPROTECTED_RULE)}
    strings |= {report_selectors.PUBLIC_RECORDS_LABEL.strip(" ,;:")}
    return {s for s in strings if s}


@pytest.mark.parametrize(
    ("language", "expected"),
    [("uk", "Увійти"), ("fr", "Se connecter"), ("en", "Sign in")],
)
def test_login_follows_accept_language(db: Any, language: str, expected: str) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get("/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert expected in html
    assert response["Content-Language"] == language


@pytest.mark.parametrize(
    ("language", "expected"),
    [("uk", "Допомога Україні: публічні дані"), ("fr", "Aide à l\u2019Ukraine : chiffres publics")],
)
def test_public_page_follows_accept_language(reference_data: None, language: str, expected: str) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5").get("/public/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert expected in html
    assert english_sentences(html, _data_strings()) == []


@pytest.mark.parametrize("language", ["fr", "uk"])
def test_catalogues_complete_and_compiling(language: str) -> None:
    report, catalog = catalogues.inspect(language)
    assert catalog is not None
    assert report.errors == []
    assert report.translated > 150
    assert (report.fuzzy, report.untranslated) == (0, 0)


def test_check_prints_statistics_and_passes() -> None:
    out = io.StringIO()
    reports = catalogues.check(out=out)
    assert all(r.complete for r in reports)
    assert "fr: " in out.getvalue()
    assert "0 fuzzy translations, 0 untranslated messages." in out.getvalue()


def test_check_fails_on_fuzzy_untranslated_and_broken(tmp_path: Path) -> None:
    for language in catalogues.REQUIRED:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        source = catalogues.po_path(language).read_text(encoding="utf-8")
        if language == "fr":
            # One entry left untranslated, one marked fuzzy.
            source = source.replace('msgstr "Accueil"', 'msgstr ""', 1)
            source = source.replace('msgid "Sign out"', '#, fuzzy\nmsgid "Sign out"', 1)
        else:
            # A placeholder the message does not have: refused (python-format check).
            source = source.replace(
                'msgstr "Час за поясом %(current_zone)s"', 'msgstr "Час за поясом %(zone)s"', 1
            )
        (target / "django.po").write_text(source, encoding="utf-8")
    catalogues.compile_all(tmp_path)
    fr, uk = catalogues.check(tmp_path, out=io.StringIO())
    assert (fr.untranslated, fr.fuzzy) == (1, 1) and not fr.complete
    assert uk.errors and not uk.complete


def test_shipped_mo_files_are_current() -> None:
    for language in catalogues.REQUIRED:
        report, _ = catalogues.inspect(language)
        assert report.errors == []
    assert all(r.complete for r in catalogues.check(out=io.StringIO()))


@pytest.mark.parametrize(
    ("language", "word"), [("fr", "Vue d\u2019ensemble du groupe de contact"), ("uk", "Огляд")]
)
def test_home_account_in_profile_language(
    personas: dict[str, Any], page_client: Any, language: str, word: str
) -> None:
    user = personas["recipient"]
    set_preferences(user=user, language=language, time_zone="")
    client = page_client(user)
    data = _data_strings() | {user.username}
    for path in ("/", "/account/", "/no-such-page/", "/participants/", "/participants/UKR/", "/tokens/"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        html = response.content.decode()
        assert f'<html lang="{language}">' in html, path
        assert english_sentences(html, data) == [], path
    home = client.get("/").content.decode()
    assert word in home
    # The recipient's participant is in Kyiv: pages name the zone.
    assert "Europe/Kyiv" in home


def test_switcher_sets_cookie_and_profile(personas: dict[str, Any], page_client: Any) -> None:
    visitor = Client()
    response = visitor.post("/i18n/setlang/", {"language": "uk", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert '<html lang="uk">' in visitor.get("/login/").content.decode()
    user = personas["donor_deu"]
    client = page_client(user)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    user.refresh_from_db()
    assert user.language == "fr"
    assert AuditEvent.objects.filter(action="preferences_change", object_id=str(user.pk)).exists()
    # The switcher is a plain form (no script): on every page, signed in or not.
    assert 'id="language-switcher"' in client.get("/").content.decode()
    assert Client().get("/i18n/setlang/").status_code == 405


def test_preferences_validate_and_time_zone_applies(personas: dict[str, Any], page_client: Any) -> None:
    user = personas["donor_usa"]
    with pytest.raises(InvalidInput) as bad:
        set_preferences(user=user, language="de", time_zone="")
    assert bad.value.field == "language"
    with pytest.raises(InvalidInput) as bad_zone:
        set_preferences(user=user, language="", time_zone="Mars/Olympus")
    assert bad_zone.value.field == "time_zone"
    client = page_client(user)
    assert "America/New_York" in client.get("/account/").content.decode()
    response = client.post("/account/preferences/", {"language": "", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"
    assert "Times in Asia/Tokyo" in client.get("/account/").content.decode()


def test_participant_zones_and_names(reference_data: None) -> None:
    ukr = Participant.objects.get(code="UKR")
    assert ukr.zone == "Europe/Kyiv"
    assert Participant.objects.get(code="BEL").zone == "Europe/Brussels"
    assert Participant.objects.get(code="USA").zone == "America/New_York"
    with translation.override("uk"):
        assert ukr.local_name == "Україна"
        assert Participant.objects.get(code="DEU").local_name == "Німеччина"
    with translation.override("fr"):
        assert Participant.objects.get(code="DEU").local_name == "Allemagne"
        assert Participant.objects.get(code="KOR").local_name == "Corée du Sud"
        assert (
            Participant.objects.get(code="NATO").local_name
            == "Organisation du Traité de l\u2019Atlantique Nord"
        )
    with translation.override("en"):
        assert Participant.objects.get(code="DEU").local_name == "Germany"


def test_money_per_language_on_pages_never_in_machine_formats() -> None:
    amount = Decimal("140000000")
    with translation.override("fr"):
        assert humanize.money_short(amount, "EUR", localize=True) == "140,0 M EUR"
        assert humanize.money_exact(Decimal("48500"), "EUR", localize=True) == "48\xa0500,00 EUR"
        # The CLI and machine formats keep one format whatever the language.
        assert humanize.money_short(amount, "EUR") == "140.0 m EUR"
    with translation.override("uk"):
        assert humanize.money_short(amount, "EUR", localize=True) == "140,0 млн EUR"
    with translation.override("en"):
        assert humanize.money_short(amount, "EUR", localize=True) == "140.0 m EUR"


def test_times_in_the_active_zone() -> None:
    from django.template import Context, Template

    moment = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with timezone.override("Europe/Kyiv"):
        assert Template('{{ t|date:"H:i" }}').render(Context({"t": moment})) == "14:00"


def test_api_errors_follow_accept_language(db: Any) -> None:
    uk = Client(HTTP_ACCEPT_LANGUAGE="uk").get("/api/v1/me")
    assert uk.status_code == 401
    assert uk.json()["detail"] == "Потрібна автентифікація."
    fr = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/api/v1/me")
    assert fr.json()["detail"] == "Authentification requise."
    assert Client().get("/api/v1/me").json()["detail"] == "Authentication required."


def test_compilemessages_without_gettext(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`clearinghouse compilemessages` is core's Babel command, not Django's (which needs msgfmt)."""
    from django.core.management import call_command

    for language in catalogues.REQUIRED:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / "django.po").write_bytes(catalogues.po_path(language).read_bytes())
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no msgfmt anywhere
    out = io.StringIO()
    call_command("compilemessages", stdout=out)
    for language in catalogues.REQUIRED:
        mo = tmp_path / language / "LC_MESSAGES" / "django.mo"
        assert mo.read_bytes() == catalogues.po_path(language).with_suffix(".mo").read_bytes()
    assert "compiled" in out.getvalue()
