"""SECURITY.md lines 25-27: bad input, background jobs that survive a killed worker, and a
database that is gone."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from cases.models import Case
from deconfliction.models import ImportJob, Selector
from deconfliction.services import selector_import_create, selector_import_run
from notifications.models import Notification
from tests.cases.conftest import access_for, client_for
from tests.notifications.conftest import committed_notification
from tests.smtp import message_ids as _message_ids
from tests.worker import celery_worker, kill_worker, pool_child_pid, wait_for


@pytest.mark.django_db
def test_sec_25_bad_input_gets_a_clear_error_and_changes_nothing(world, new_case):
    client = client_for(world.liaison)
    before = Case.objects.count()
    too_long = client.post("/cases/new/", {"title": "x" * 201, "crime_type": "grooming", "tlp": "GREEN"})
    assert too_long.status_code == 400 and "at most 200 characters" in too_long.content.decode()
    unknown = client.post("/cases/new/", {"title": "x", "crime_type": "piracy", "tlp": "PURPLE"})
    assert unknown.status_code == 400 and "Select a valid choice" in unknown.content.decode()
    assert Case.objects.count() == before
    case = new_case()
    csv = "kind,value\nphone,12\nemail,ok@example.org\nfingerprint,x\nphone\n"
    job = selector_import_run(
        job_id=selector_import_create(
            access=access_for(world.liaison, case), file_name="x.csv", data=csv.encode(), reason="x"
        ).pk
    )
    assert [e["line"] for e in job.errors] == [2, 4, 5]
    assert Selector.objects.filter(case=case).count() == 1
    assert ImportJob.objects.get(pk=job.pk).status == "done"


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sec_26_worker_killed_mid_send_runs_again_and_delivers_once(member, smtp):
    # The prefork pool, as in production: its parent would acknowledge an early-ack task on
    # receipt, so only acks_late keeps the message on the broker when the machine dies.
    recorder = smtp(hold_first_seconds=8)
    with celery_worker(env={"EMAIL_URL": recorder.url}, visibility_timeout=5, pool="prefork") as worker:
        row = committed_notification(member)
        wait_for(lambda: recorder.started)  # the worker is in the middle of sending
        kill_worker(worker)
    assert recorder.messages == []  # the killed send was never accepted
    # Redis hands an unacknowledged task to another worker once its visibility timeout (5 s
    # here, an hour in production) has passed: start the new worker after that.
    time.sleep(6)
    with celery_worker(env={"EMAIL_URL": recorder.url}, visibility_timeout=5):
        wait_for(lambda: Notification.objects.filter(pk=row.pk, email="sent").exists(), timeout=40)
        time.sleep(2)
    assert _message_ids(recorder) == [row.message_id]


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sec_26_pool_child_killed_mid_send_is_handed_back_and_delivered_once(member, smtp):
    # The parent lives on and sees its child die: task_reject_on_worker_lost hands the message
    # back to the broker instead of recording a failure, and the same worker sends it again.
    recorder = smtp(hold_first_seconds=8)
    with celery_worker(env={"EMAIL_URL": recorder.url}, visibility_timeout=60, pool="prefork") as worker:
        row = committed_notification(member)
        wait_for(lambda: recorder.started)
        child = pool_child_pid(worker)
        os.kill(child, signal.SIGKILL)
        # Well inside the 60 s visibility timeout: this is the rejection, not a redelivery.
        wait_for(lambda: Notification.objects.filter(pk=row.pk, email="sent").exists(), timeout=40)
        time.sleep(2)
    assert _message_ids(recorder) == [row.message_id]


@pytest.mark.django_db
def test_sec_27_database_unreachable_gives_a_clear_503():
    """A separate process whose database is a closed port: the login page (which writes a
    session) answers with the 503 page, not a stack trace."""
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_CONNECT_TIMEOUT": "2",
        "DATABASE_POOL": "false",
    }
    code = (
        "import django; django.setup(); from django.test import Client;"
        "c = Client(raise_request_exception=False);"
        "r = c.get('/accounts/login/'); print(r.status_code); print(r.content.decode());"
        "h = c.get('/healthz'); print('HEALTH', h.status_code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=settings.BASE_DIR, timeout=120
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "503", result.stdout + result.stderr
    assert "cannot reach its database" in result.stdout
    assert "Traceback" not in result.stdout
    assert "HEALTH 503" in result.stdout
