import pytest

from audit.models import AuditEvent
from audit.services import audit_record
from audit.tasks import verify_audit_chains
from portal.celery import app
from tests.worker import celery_worker, wait_for


def test_beat_schedule_names_registered_tasks():
    from django.conf import settings

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


@pytest.mark.django_db
def test_verification_task_records_outcome():
    audit_record(action="test.event")
    assert verify_audit_chains.apply().get() == 0
    event = AuditEvent.objects.get(action="audit.verify")
    assert event.result == "success" and event.details == {"problems": []}


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_the_task_from_the_broker():
    audit_record(action="test.event")
    with celery_worker() as worker:
        verify_audit_chains.delay()
        event = wait_for(lambda: AuditEvent.objects.filter(action="audit.verify").first())
        assert worker.poll() is None  # the worker is still alive
    assert event.result == "success"


@pytest.mark.django_db
def test_text_that_jsonb_refuses_is_stored_replaced_and_the_chain_still_verifies():
    # NUL and unpaired surrogates arrive in query strings and files; jsonb refuses both.
    event = audit_record(action="test.event", details={"q": "a\x00b", "k\x00": ["\udbcd", 3, None]})
    event.refresh_from_db()
    assert event.details == {"q": "a\ufffdb", "k\ufffd": ["\ufffd", 3, None]}
    assert verify_audit_chains.apply().get() == 0
