"""Email delivery. Late acknowledgement and reject-on-worker-lost make a task killed mid-send
run again; ``notification_deliver`` makes running it again harmless."""

from smtplib import SMTPException

from celery import shared_task

from notifications.services import digests_send, notification_deliver, outbox_sweep


@shared_task(
    name="notifications.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def deliver(notification_id: int) -> bool:
    return notification_deliver(notification_id=notification_id)


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox() -> int:
    return outbox_sweep()


@shared_task(name="notifications.send_digests")
def send_digests() -> int:
    return digests_send()
