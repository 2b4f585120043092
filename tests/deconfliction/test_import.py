import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deconfliction.models import ImportJob, Selector
from deconfliction.services import selector_import_create, selector_import_run
from tests.cases.conftest import access_for, client_for
from tests.worker import celery_worker, wait_for

CSV = (
    "kind,value,note\n"
    "phone,+31 6 12345678,seized phone\n"
    "email, Someone@Example.org \n"
    "phone,12\n"
    "fingerprint,abc\n"
    "handle,instagram:@someone,from chat\n"
    "ip\n"
    "phone,0612345678,same number again\n"
)


@pytest.mark.django_db
def test_import_reports_bad_rows_by_line_and_reimport_registers_nothing_twice(desks, case_of):
    case = case_of(desks["user_nl"])
    access = access_for(desks["user_nl"], case)
    job = selector_import_create(access=access, file_name="sel.csv", data=CSV.encode(), reason="seized phone")
    assert job.status == "queued" and job.total_rows == 8
    job = selector_import_run(job_id=job.pk)
    assert (job.status, job.percent, job.registered, job.already_registered) == ("done", 100, 3, 1)
    assert [(e["line"], e["reason"][:20]) for e in job.errors] == [
        (4, "12 is not a valid nu"),
        (5, "Unknown kind fingerp"),
        (7, "Expected kind,value "),
    ]
    assert job.content_encrypted == ""  # raw values do not linger in the job
    assert Selector.objects.filter(case=case).count() == 3
    again = selector_import_run(
        job_id=selector_import_create(access=access, file_name="sel.csv", data=CSV.encode(), reason="again").pk
    )
    assert (again.registered, again.already_registered) == (0, 4)
    assert Selector.objects.filter(case=case).count() == 3
    # Running a finished job again (a redelivered task) changes nothing.
    assert selector_import_run(job_id=job.pk).registered == 3


@pytest.mark.django_db
def test_a_nul_in_a_row_is_reported_not_a_crash(desks, case_of):
    access = access_for(desks["user_nl"], case_of(desks["user_nl"]))
    data = b"phone\x00,+31612345678\nemail,someone@example.org\n"
    job = selector_import_run(job_id=selector_import_create(access=access, file_name="x.csv", data=data, reason="x").pk)
    assert (job.status, job.registered) == ("done", 1)
    assert job.errors == [{"line": 1, "reason": "Unknown kind phone\ufffd."}]


@pytest.mark.django_db
def test_refused_rows_are_explained_in_the_uploaders_language(desks, case_of):
    from django.utils import translation

    access = access_for(desks["user_nl"], case_of(desks["user_nl"]))
    with translation.override("nl"):
        job = selector_import_create(access=access, file_name="x.csv", data=b"vingerafdruk,abc\n", reason="x")
    with translation.override("en"):  # the worker's own language does not matter
        job = selector_import_run(job_id=job.pk)
    assert job.errors == [{"line": 1, "reason": "Onbekende soort vingerafdruk."}]


@pytest.mark.django_db
def test_bad_files_are_refused_and_nothing_is_queued(desks, case_of):
    from django.core.exceptions import ValidationError

    access = access_for(desks["user_nl"], case_of(desks["user_nl"]))
    for data in (b"", b"\xff\xfe\x00bad", b"x" * (5 * 1024 * 1024 + 1)):
        with pytest.raises(ValidationError):
            selector_import_create(access=access, file_name="x.csv", data=data, reason="x")
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_import_pages_show_progress_and_result(desks, case_of):
    case = case_of(desks["user_nl"])
    client = client_for(desks["user_nl"])
    response = client.post(
        f"/deconfliction/cases/{case.uuid}/import/",
        {"file": SimpleUploadedFile("s.csv", CSV.encode()), "reason": "seized phone"},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    if job.status == "queued":  # with a real broker the worker is elsewhere; run it here
        selector_import_run(job_id=job.pk)
    page = client.get(response["Location"]).content.decode()
    assert "100 %" in page and "Unknown kind fingerprint" in page
    fragment = client.get(f"/deconfliction/imports/{job.uuid}/progress/", HTTP_X_PORTAL_BACKGROUND="1")
    assert fragment.status_code == 200 and "hx-trigger" not in fragment.content.decode()
    # Somebody else's job is not there.
    assert client_for(desks["user_be"]).get(f"/deconfliction/imports/{job.uuid}/").status_code == 404


@pytest.mark.django_db
def test_progress_fragment_polls_while_running(desks, case_of):
    access = access_for(desks["user_nl"], case_of(desks["user_nl"]))
    job = selector_import_create(access=access, file_name="s.csv", data=CSV.encode(), reason="x")
    html = client_for(desks["user_nl"]).get(f"/deconfliction/imports/{job.uuid}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in html and "data-background" in html


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_import_runs_on_a_real_worker(desks, case_of):
    access = access_for(desks["user_nl"], case_of(desks["user_nl"]))
    with celery_worker():
        job = selector_import_create(access=access, file_name="s.csv", data=CSV.encode(), reason="x")
        job = wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status="done").first())
    assert job.registered == 3 and len(job.errors) == 3
