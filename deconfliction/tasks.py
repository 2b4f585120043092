"""Scheduled deconfliction jobs: idempotent, no arguments, each calls one service."""

from celery import shared_task

from deconfliction.services import hits_escalate_overdue, selectors_expire_due


@shared_task(name="deconfliction.expire_selectors")
def expire_selectors() -> dict:
    return selectors_expire_due()


@shared_task(name="deconfliction.escalate_hits")
def escalate_hits() -> int:
    return hits_escalate_overdue()
