"""Project pages that draw on several apps: the home dashboard, the spreadsheet upload page.

They sit above every app (like `urls.py` and `api.py`), so no app imports another one above it to
show its figures.
"""

from __future__ import annotations

import tempfile
from itertools import groupby
from pathlib import Path
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from clearinghouse import briefing, spreadsheets
from clearinghouse import jobs as job_kinds
from clearinghouse.clearing import selectors as clearing_selectors
from clearinghouse.core import jobs, tabular
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import DomainError
from clearinghouse.core.forms import set_choices
from clearinghouse.core.tabular import ImportErrors, ImportSummary
from clearinghouse.governance import selectors as governance_selectors
from clearinghouse.inbox import selectors as inbox_selectors
from clearinghouse.participants import selectors as participant_selectors
from clearinghouse.participants.choices import MandateFunction, ParticipantKind
from clearinghouse.participants.services import current_mandate
from clearinghouse.pledges import policies as pledge_policies
from clearinghouse.pledges import selectors as pledge_selectors
from clearinghouse.pledges.choices import PledgeStatus
from clearinghouse.reports import cache as report_cache
from clearinghouse.requirements import policies as requirement_policies
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements.choices import Priority


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What waits for this user (the work queue, by role), who leads the coordination, open
    requirements by priority, the pledge pipeline, shortfalls, and who takes part."""
    participants = list(participant_selectors.participant_list(user=request.user))
    by_kind = [
        (ParticipantKind(kind).label, list(items))
        for kind, items in groupby(participants, key=lambda p: p.kind)
    ]
    # The figures over every visible pledge and requirement, cached like the reports' (per audience,
    # at the data's version: a write shows at once).
    figures = report_cache.cached(
        "home",
        request.user,
        {"source": "records"},
        lambda: {
            "pipeline": pledge_selectors.pipeline(user=request.user),
            "open_by_priority": requirement_selectors.open_by_priority(user=request.user),
            "shortfall": clearing_selectors.shortfalls(user=request.user),
        },
    )
    context = {
        # What waits for this user (not cached: it changes with every decision taken).
        "queue": inbox_selectors.work_queue(user=request.user),
        "by_kind": by_kind,
        "mandate": current_mandate(),
        "mandates": participant_selectors.mandate_list(user=request.user).filter(
            function=MandateFunction.DELIVERY_COORDINATION
        ),
        "open_by_priority": [(Priority(p).label, p, n) for p, n in figures["open_by_priority"].items()],
        "pipeline": [(PledgeStatus(s).label, s, v) for s, v in figures["pipeline"].items()],
        "shortfall": figures["shortfall"],
    }
    return render(request, "home.html", context)


# --- the spreadsheet upload page (requirements/spreadsheets.py, pledges/spreadsheets.py) ------------

MAX_BYTES = tabular.MAX_FILE_BYTES


def importable_kinds(user: Actor) -> list[tuple[str, str]]:
    """What the user may import: pledges (donor officers, the coordination cell), requirements (the
    recipient's officers)."""
    kinds = []
    if requirement_policies.may_enter(user):
        kinds.append(("requirements", "Requirements"))
    if pledge_policies.may_import(user):  # donor officers; the coordination cell for any donor
        kinds.append(("pledges", "Pledges"))
    return kinds


class UploadForm(forms.Form):
    """A kind and a CSV or XLSX file."""

    kind = forms.ChoiceField()
    file = forms.FileField(help_text="CSV (UTF-8) or XLSX, with the columns below in the first row.")
    background = forms.BooleanField(
        required=False,
        label="In the background",
        help_text="For a large file: the import runs as a job and this page shows its progress.",
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "kind", kinds)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        if Path(upload.name).suffix.lower() not in (".csv", ".xlsx"):
            raise forms.ValidationError("use a .csv or an .xlsx file")
        return upload


def _import(user: Actor, kind: str, upload: Any) -> ImportSummary:
    # The importer reads by path and names the file in its errors: keep the name the user chose.
    name = Path(upload.name).name
    with tempfile.TemporaryDirectory(prefix="clearinghouse-upload-") as tmp:
        path = Path(tmp) / f"upload{Path(name).suffix.lower()}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return spreadsheets.import_file(actor=user, path=path, kind=kind, name=name)


@login_required
@require_http_methods(["GET", "POST"])
def spreadsheet_import(request: HttpRequest) -> HttpResponse:
    """Upload a spreadsheet of requirements or pledges: all or nothing, errors by file, row and column."""
    kinds = importable_kinds(request.user)
    if not kinds:
        raise DjangoPermissionDenied("Only donor officers and the recipient's officers import spreadsheets.")
    initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") in dict(kinds) else {}
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds, initial=initial)
    context: dict[str, Any] = {"form": form, "columns": spreadsheets.COLUMNS}
    status = 200
    if request.method == "POST" and form.is_valid() and form.cleaned_data["background"]:
        upload = form.cleaned_data["file"]
        context["job"] = jobs.submit(
            kind=job_kinds.SPREADSHEET_KINDS[form.cleaned_data["kind"]],
            owner=request.user,
            input_name=Path(upload.name).name,
            input_bytes=b"".join(upload.chunks()),
        )
        status = 202
    elif request.method == "POST" and form.is_valid():
        try:
            context["summary"] = _import(request.user, form.cleaned_data["kind"], form.cleaned_data["file"])
        except ImportErrors as exc:
            context["error"] = (
                exc.message if exc.total == 1 else f"{exc.file}: {exc.total} errors, nothing was imported."
            )
            context["errors"] = exc.lines if exc.total > 1 else []
            status = 403 if exc.status == 403 else 422
        except DomainError as exc:
            context["error"] = exc.message
            status = 403 if exc.status == 403 else 422
    return render(request, "spreadsheet_import.html", context, status=status)


def bench_bare(request: HttpRequest) -> HttpResponse:
    """A bare Django view (routed only under CLEARINGHOUSE_BENCH): the load benchmark's reference."""
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """A meeting of a body, and since the body's previous meeting: new and changed pledges, deliveries,
    shortfalls then and now by capability, fund compliance, decisions taken and pending."""
    meeting = governance_selectors.get_meeting(user=request.user, meeting_id=meeting_id)
    return render(
        request,
        "meeting_detail.html",
        {"meeting": meeting, "data": briefing.since_previous(meeting, request.user)},
    )


@login_required
def meeting_briefing(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The briefing pack of a meeting as a PDF, made for the signed-in reader."""
    meeting = governance_selectors.get_meeting(user=request.user, meeting_id=meeting_id)
    content = briefing.pdf(briefing.since_previous(meeting, request.user), request.user)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="briefing-{meeting.body.code}-{meeting.date}.pdf"'
    )
    return response
