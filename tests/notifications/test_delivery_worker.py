"""Email delivery against the real Redis broker, a real Celery worker process and a real SMTP
server (aiosmtpd) on loopback: exactly once, after a SIGKILL mid-send, and after a broker outage."""

import asyncio
import os
import signal
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from kombu import pools

from notifications.models import Kind, Notification
from notifications.services import notify, outbox_sweep
from portal.celery import app
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class Recorder:
    """Accepts mail; can hold the first message for a while before accepting it."""

    def __init__(self, hold_first_seconds: float = 0):
        self.messages: list[bytes] = []
        self.started: list[float] = []
        self.hold = hold_first_seconds

    async def handle_DATA(self, server, session, envelope):
        self.started.append(time.monotonic())
        if self.hold and len(self.started) == 1:
            await asyncio.sleep(self.hold)
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp():
    servers = []

    def _start(**kwargs):
        recorder = Recorder(**kwargs)
        with socket.socket() as probe:  # a free loopback port
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        recorder.url = f"smtp://127.0.0.1:{port}"
        return recorder

    yield _start
    for controller in servers:
        controller.stop()


def _notify(user) -> Notification:
    with transaction.atomic():
        [row] = notify(
            users=[user],
            kind=Kind.CASE_SHARED,
            subject="Case NL-2026-000042 was shared with you",
            body="Case NL-2026-000042 is now visible to you in the portal.",
        )
    return row


def _message_ids(recorder) -> list[str]:
    ids = []
    for raw in recorder.messages:
        for line in raw.decode().splitlines():
            if line.lower().startswith("message-id:"):
                ids.append(line.split(":", 1)[1].strip())
    return ids


def test_a_notification_is_delivered_exactly_once(member, smtp):
    recorder = smtp()
    with celery_worker(env={"EMAIL_URL": recorder.url}):
        row = _notify(member)
        wait_for(lambda: Notification.objects.filter(pk=row.pk, email="sent").exists())
        app.send_task("notifications.deliver", args=[row.pk])  # a duplicate delivery request
        time.sleep(3)
    assert _message_ids(recorder) == [row.message_id]


def test_worker_killed_mid_send_delivers_once_after_restart(member, smtp):
    recorder = smtp(hold_first_seconds=8)
    with celery_worker(env={"EMAIL_URL": recorder.url}, visibility_timeout=5) as worker:
        row = _notify(member)
        wait_for(lambda: recorder.started)  # the worker is in the middle of sending
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    assert recorder.messages == []  # the killed send was never accepted
    # Redis hands an unacknowledged task to another worker once its visibility timeout (5 s
    # here, an hour in production) has passed: start the new worker after that.
    time.sleep(6)
    with celery_worker(env={"EMAIL_URL": recorder.url}, visibility_timeout=5):
        wait_for(lambda: Notification.objects.filter(pk=row.pk, email="sent").exists(), timeout=40)
        time.sleep(2)
    assert _message_ids(recorder) == [row.message_id]


def _use_broker(url: str) -> None:
    app.conf.broker_url = url
    pools.reset()  # connections and producers are rebuilt for the new address
    app._pool = None
    app.amqp._producer_pool = None


def test_broker_outage_leaves_the_event_committed_and_the_sweeper_delivers(member, smtp):
    recorder = smtp()
    good_url = app.conf.broker_url
    _use_broker("redis://127.0.0.1:1/0")  # nothing listens there: the broker is down
    try:
        row = _notify(member)  # commits; enqueueing after commit fails and is only logged
    finally:
        _use_broker(good_url)
    assert Notification.objects.get(pk=row.pk).email == "pending"
    with celery_worker(env={"EMAIL_URL": recorder.url}):
        Notification.objects.filter(pk=row.pk).update(created_at=row.created_at.replace(year=2000))
        assert outbox_sweep() == 1
        wait_for(lambda: Notification.objects.filter(pk=row.pk, email="sent").exists())
    assert _message_ids(recorder) == [row.message_id]


def test_digest_by_a_real_worker_follows_each_users_preference(member, make_member, organisation, smtp):
    from notifications.services import preferences_set

    colleague = make_member(organisation)
    preferences_set(user=member, choices={Kind.CASE_SHARED: "digest"})
    preferences_set(user=colleague, choices={Kind.CASE_SHARED: "off"})
    recorder = smtp()
    with celery_worker(env={"EMAIL_URL": recorder.url}):
        for n in (1, 2):
            with transaction.atomic():
                notify(users=[member, colleague], kind=Kind.CASE_SHARED, subject=f"Case NL-2026-00000{n} shared",
                       body="b")
        time.sleep(2)
        assert recorder.messages == []  # nobody wanted these at once
        app.send_task("notifications.send_digests")
        wait_for(lambda: recorder.messages)
        time.sleep(1)
    [digest] = [m.decode() for m in recorder.messages]
    assert member.email in digest and colleague.email not in digest
    assert "NL-2026-000001 shared" in digest and "NL-2026-000002 shared" in digest
