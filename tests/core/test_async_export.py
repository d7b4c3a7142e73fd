"""Big list exports run as a background task; the file belongs to whoever asked for it."""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dealerplan.core import exports
from dealerplan.core.models import ExportJob
from tests.factories import CustomerFactory

LIST_URL = reverse("customers:customer_list")


@pytest.fixture(autouse=True)
def _exports_allowed(request):
    """Consultants here export their customers; the export policy is tested on its own."""
    if "personas" in request.fixturenames or "db" in request.fixturenames:
        request.getfixturevalue("consultants_export_customers")


@pytest.fixture(autouse=True)
def _small_threshold(settings, tmp_path):
    settings.EXPORT_ASYNC_ROWS = 2
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def customers(personas):
    mine = [CustomerFactory(owner=personas.consultant, name=f"甲{n}") for n in range(3)]
    CustomerFactory(owner=personas.colleague, name="同事的客户")
    return mine


def rows_of(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True))


def start(client, django_capture_on_commit_callbacks, query=""):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"{LIST_URL}?export=xlsx{query}")
    return response


def test_an_export_within_the_threshold_downloads_at_once(personas, login):
    CustomerFactory(owner=personas.consultant, name="唯一")
    response = login(personas.consultant).get(f"{LIST_URL}?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    content = b"".join(response.streaming_content)
    assert len(rows_of(content)) == 2
    assert not ExportJob.objects.exists()


def test_the_workbook_is_streamed_from_a_temporary_file_that_is_removed_after(db):
    response = exports.xlsx_response([["名称"], ["甲"], ["乙"]], filename="a.xlsx", sheet_title="a")
    path = Path(response.file_to_stream.name)
    assert path.exists()  # on disk, not an in-memory buffer
    assert len(rows_of(b"".join(response.streaming_content))) == 3
    response.close()
    assert not path.exists()


def test_a_longer_export_runs_in_the_background_and_its_owner_downloads_it(
    customers, personas, login, django_capture_on_commit_callbacks, settings, tmp_path
):
    client = login(personas.consultant)
    response = start(client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:export_job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert (job.processed_rows, job.total_rows) == (3, 3)
    assert job.file.name.startswith("exports/")
    assert (tmp_path / job.file.name).exists()

    page = client.get(response["Location"])
    assert reverse("reports:export_download", args=[job.pk]) in page.content.decode()
    download = client.get(reverse("reports:export_download", args=[job.pk]))
    assert download.status_code == 200
    rows = rows_of(b"".join(download.streaming_content))
    names = {row[0] for row in rows[1:]} | {cell for row in rows[1:] for cell in row}
    assert len(rows) == 4  # the header and the consultant's own three customers
    assert "同事的客户" not in names


def test_the_background_export_keeps_the_lists_filters(
    customers, personas, login, django_capture_on_commit_callbacks
):
    CustomerFactory(owner=personas.consultant, name="乙0")
    client = login(personas.consultant)
    start(client, django_capture_on_commit_callbacks, "&q=甲")
    job = ExportJob.objects.get()
    assert job.query == "q=%E7%94%B2"
    assert job.total_rows == 3
    client.get(f"{LIST_URL}?export=xlsx&q=乙")  # one row: straight download, no job
    assert ExportJob.objects.count() == 1


def test_the_progress_partial_polls_every_two_seconds_until_the_file_is_ready(personas, login):
    job = ExportJob.objects.create(
        user=personas.consultant,
        path=LIST_URL,
        title="客户",
        filename="客户.xlsx",
        status=ExportJob.Status.RUNNING,
        total_rows=40_000,
        processed_rows=10_000,
    )
    client = login(personas.consultant)
    html = client.get(reverse("reports:export_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "10000 / 40000" in html.replace(",", "")
    assert "25%" in html
    job.status = ExportJob.Status.DONE
    job.save()
    html = client.get(reverse("reports:export_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in html
    assert reverse("reports:export_download", args=[job.pk]) in html


@pytest.mark.parametrize("other", ["colleague", "sales_manager", "group_manager"])
def test_another_users_export_is_not_found(
    customers, personas, login, django_capture_on_commit_callbacks, other
):
    start(login(personas.consultant), django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    client = login(getattr(personas, other))
    for name in ("export_job", "export_progress", "export_download"):
        assert client.get(reverse(f"reports:{name}", args=[job.pk])).status_code == 404


def test_a_failed_export_says_so_instead_of_spinning(personas, login):
    job = ExportJob.objects.create(
        user=personas.consultant, path="/no/such/list/", title="x", filename="x.xlsx"
    )
    with pytest.raises(Exception):  # noqa: B017 - any failure must be recorded
        exports.run_export(job)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    html = login(personas.consultant).get(reverse("reports:export_job", args=[job.pk]))
    assert "hx-trigger" not in html.content.decode()
    assert (
        login(personas.consultant)
        .get(reverse("reports:export_download", args=[job.pk]))
        .status_code
        == 404
    )


def test_progress_is_written_while_the_rows_are_written(personas, monkeypatch):
    seen = []
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    written = exports.write_xlsx(
        [["a"], *[[n] for n in range(5)]], io.BytesIO(), sheet_title="t", on_progress=seen.append
    )
    assert written == 5
    assert seen == [2, 4]


def test_the_forked_writer_writes_what_the_in_process_writer_writes(tmp_path):
    rows = [["名称", "金额"], *(([f"客户{n}", n]) for n in range(4500))]
    forked, local = tmp_path / "forked.xlsx", tmp_path / "local.xlsx"
    seen = []
    assert (
        exports.write_xlsx_in_child(
            iter(rows), str(forked), sheet_title="a", on_progress=seen.append
        )
        == 4500
    )
    assert exports.write_xlsx(iter(rows), str(local), sheet_title="a") == 4500
    assert rows_of(forked.read_bytes()) == rows_of(local.read_bytes())
    assert seen == [2000, 4000, 4500]


def test_a_failing_forked_writer_fails_the_export(tmp_path):
    with pytest.raises(RuntimeError):
        exports.write_xlsx_in_child(
            iter([["a"], ["b"]]), str(tmp_path / "missing" / "x.xlsx"), sheet_title="a"
        )
