"""Issue 17, item 4: a Kiel release uploaded on a page or through the API (CSV files or a ZIP).

The real release files (R29 as shipped, the R31 preview); the upload runs as a background job with
the command line's import service: the same all-or-nothing checks and errors by file, row, column.
A test runs the queued job here (`jobs.execute`): the test's transaction never commits, so the
in-process worker, which starts a job once its row is committed, would never see it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clearinghouse.core import jobs
from clearinghouse.core.models import Job
from clearinghouse.tracker import uploads
from clearinghouse.tracker.models import KielRelease
from clearinghouse.tracker.tests.kiel_files import R29, R31_PREVIEW, copy_release, set_cell

pytestmark = pytest.mark.django_db


def _csv_files(directory: Path) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(p.name, p.read_bytes(), content_type="text/csv")
        for p in sorted(directory.glob("*.csv"))
    ]


def _zip(directory: Path, folder: str = "") -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for p in sorted(directory.iterdir()):
            archive.writestr(f"{folder}{p.name}", p.read_bytes())  # NOTICE too: left out
    return SimpleUploadedFile("release.zip", out.getvalue(), content_type="application/zip")


def _run(job_id: int) -> Job:
    jobs.execute(job_id)
    return Job.objects.get(pk=job_id)


def test_the_api_imports_uploaded_csv_files_then_a_zip_and_links_the_revisions(
    personas: dict[str, Any], api_client: Any
) -> None:
    client = api_client(personas["coordinator"])
    response = client.post("/api/v1/kiel/releases", {"files": _csv_files(R29)})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "import.kiel_upload" and body["state"] == "queued"
    job = _run(body["id"])
    assert job.state == "succeeded", job.error
    result = job.result or {}
    assert result["release"] == 29 and result["current"] is True
    assert KielRelease.objects.get(number=29).files[:2] == ["release_info.csv", "data_explorer.csv"]

    response = client.post("/api/v1/kiel/releases", {"files": [_zip(R31_PREVIEW, folder="kiel-r31/")]})
    assert response.status_code == 202
    job = _run(response.json()["id"])
    assert job.state == "succeeded", job.error
    result = job.result or {}
    assert result["release"] == 31 and result["previous_current"] == 29
    assert result["url"] == "/kiel/releases/?from=29&to=31#revisions"
    # The job as the API reports it, and the revision view it links.
    followed = client.get(f"/api/v1/jobs/{job.pk}").json()
    assert followed["state"] == "succeeded" and followed["result"]["url"] == result["url"]


def test_an_upload_is_the_same_release_as_the_command_line_import(
    personas: dict[str, Any], tmp_path: Path
) -> None:
    from clearinghouse.tracker import services

    job = _run(
        jobs.submit(
            kind="import.kiel_upload",
            owner=personas["analyst"],
            input_name=uploads.BUNDLE_NAME,
            input_bytes=uploads.bundle([(p.name, p.read_bytes()) for p in R29.glob("*.csv")]),
        ).pk
    )
    assert job.state == "succeeded", job.error
    uploaded = KielRelease.objects.get(number=29)
    again = services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    assert again.created is False and again.release.digest == uploaded.digest


def test_a_malformed_upload_imports_nothing_and_names_file_row_and_column(
    personas: dict[str, Any], api_client: Any, tmp_path: Path
) -> None:
    broken = copy_release(R29, tmp_path / "r29")
    set_cell(broken, "data_explorer.csv", 9, "gdp", "n/a")
    response = api_client(personas["coordinator"]).post(
        "/api/v1/kiel/releases", {"files": _csv_files(broken)}
    )
    job = _run(response.json()["id"])
    assert job.state == "failed"
    assert "data_explorer.csv, row 9, column 'gdp': not a number: 'n/a'" in job.error
    assert KielRelease.objects.count() == 0


def test_a_release_missing_a_file_imports_nothing(personas: dict[str, Any], api_client: Any) -> None:
    files = [f for f in _csv_files(R29) if f.name != "weapons.csv"]
    response = api_client(personas["coordinator"]).post("/api/v1/kiel/releases", {"files": files})
    job = _run(response.json()["id"])
    assert job.state == "failed" and "weapons.csv" in job.error and "missing" in job.error
    assert KielRelease.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"x", "notes.txt: not a CSV file or a ZIP of them"),
        ("extra.csv", b"a,b\n", "extra.csv: not a file of a Kiel release"),
        ("broken.zip", b"PK not really", "broken.zip: not a ZIP file"),
    ],
)
def test_files_that_are_not_a_release_are_refused_at_once(
    personas: dict[str, Any], api_client: Any, name: str, content: bytes, message: str
) -> None:
    files = [*_csv_files(R29), SimpleUploadedFile(name, content)]
    response = api_client(personas["coordinator"]).post("/api/v1/kiel/releases", {"files": files})
    assert response.status_code == 422
    assert response.json()["field"] == "files" and message in response.json()["detail"]
    assert Job.objects.count() == 0


def test_a_file_given_twice_is_refused(personas: dict[str, Any], api_client: Any) -> None:
    files = [*_csv_files(R29), _zip(R29)]
    response = api_client(personas["coordinator"]).post("/api/v1/kiel/releases", {"files": files})
    assert response.status_code == 422 and "given twice" in response.json()["detail"]


@pytest.mark.parametrize("who", ["donor_usa", "nonmember", "finance", "recipient", "auditor"])
def test_only_the_coordination_cell_or_an_admin_uploads(
    who: str, personas: dict[str, Any], api_client: Any
) -> None:
    response = api_client(personas[who]).post("/api/v1/kiel/releases", {"files": _csv_files(R29)})
    assert response.status_code == 403
    assert Job.objects.count() == 0 and KielRelease.objects.count() == 0


def test_the_upload_page_follows_the_job_and_links_the_revisions(
    personas: dict[str, Any], page_client: Any
) -> None:
    from clearinghouse.tracker import services

    services.import_kiel_release(actor=personas["coordinator"], directory=R29)
    client = page_client(personas["analyst"])
    releases = client.get("/kiel/releases/")
    assert b'id="upload-release"' in releases.content
    assert client.get("/kiel/releases/upload/").status_code == 200
    response = client.post("/kiel/releases/upload/", {"files": [_zip(R31_PREVIEW)]})
    assert response.status_code == 202
    html = response.content.decode()
    assert 'id="job-progress"' in html and 'hx-get="/jobs/' in html
    job = _run(response.context["job"].pk)
    card = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-state="succeeded"' in card and "/kiel/releases/?from=29&amp;to=31#revisions" in card
    revisions = client.get("/kiel/releases/?from=29&to=31")
    assert revisions.status_code == 200 and b'id="revisions"' in revisions.content
    assert revisions.context["revisions"].paginator.count > 0


def test_the_upload_page_shows_what_is_wrong_with_the_files(
    personas: dict[str, Any], page_client: Any
) -> None:
    client = page_client(personas["coordinator"])
    response = client.post("/kiel/releases/upload/", {"files": [SimpleUploadedFile("x.pdf", b"%PDF")]})
    assert response.status_code == 422 and b"x.pdf: not a CSV file or a ZIP of them" in response.content
    assert page_client(personas["donor_usa"]).get("/kiel/releases/upload/").status_code == 403
