"""Scheduled case jobs: idempotent, they take no arguments and call a service."""

from celery import shared_task

from cases.services import case_shares_expire_due, cases_purge_retained


@shared_task(name="cases.expire_shares")
def expire_shares() -> int:
    return case_shares_expire_due()


@shared_task(name="cases.purge_retained")
def purge_retained() -> int:
    return cases_purge_retained()


@shared_task(name="cases.send_reminders")
def send_reminders() -> dict:
    from cases.services.reminders import reminders_send

    return reminders_send()
