"""Retention: closed cases are purged after the configured period, with everything on them."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from cases.constants import CaseStatus
from cases.models import Case


def cases_purge_retained(*, batch_size: int = 500) -> int:
    """Delete closed cases whose closing lies beyond CASE_RETENTION_DAYS.

    Shares, grants, milestones, tasks and timeline entries go with them (foreign keys cascade).
    Each batch is one transaction with one audit event naming the references purged, so the
    audit trail records what was removed without keeping any of its content.
    """
    cutoff = timezone.now() - timedelta(days=settings.CASE_RETENTION_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Case.objects.select_for_update(skip_locked=True)
                .filter(status=CaseStatus.CLOSED, closed_at__lt=cutoff)
                .values_list("pk", "reference")[:batch_size]
            )
            if not batch:
                return purged
            Case.objects.filter(pk__in=[pk for pk, _ref in batch]).delete()
            audit_record(
                action="case.purge",
                details={"references": [ref for _pk, ref in batch], "retention_days": settings.CASE_RETENTION_DAYS},
            )
            purged += len(batch)
