"""Scheduled audit jobs. Tasks take ids (or nothing), call a service, and are idempotent."""

from celery import shared_task

from audit.services import audit_chain_check, audit_purge_expired


@shared_task(name="audit.verify_chains")
def verify_audit_chains() -> int:
    """Walk every chain; a broken one is logged as an error and recorded as an event."""
    return len(audit_chain_check())


@shared_task(name="audit.purge_expired")
def purge_expired_audit() -> int:
    """Delete each chain's events older than AUDIT_RETENTION_DAYS; the rest still verifies."""
    return audit_purge_expired()
