"""Scheduled deconfliction jobs: idempotent, no arguments, each calls one service."""

from celery import shared_task

from deconfliction.services import hits_escalate_overdue, selectors_expire_due


@shared_task(name="deconfliction.expire_selectors")
def expire_selectors() -> dict:
    return selectors_expire_due()


@shared_task(name="deconfliction.escalate_hits")
def escalate_hits() -> int:
    return hits_escalate_overdue()


@shared_task(name="deconfliction.import_selectors", acks_late=True, reject_on_worker_lost=True)
def import_selectors(job_id: int) -> str:
    from deconfliction.services.imports import selector_import_run

    return selector_import_run(job_id=job_id).status


@shared_task(name="deconfliction.requeue_imports")
def requeue_imports() -> int:
    from deconfliction.services.imports import import_jobs_requeue_stuck

    return import_jobs_requeue_stuck()
