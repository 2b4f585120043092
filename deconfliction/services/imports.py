"""Bulk import of selectors from CSV, run by a Celery task with visible progress.

The task is idempotent: it can run again after a worker crash (or the same file can be
uploaded twice) and registers nothing twice, because registering a selector a case already
holds only reports it as already registered.
"""

import csv
import io
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import audit_record
from cases.selectors import CaseAccess, case_access_for
from deconfliction.models import ImportJob
from deconfliction.normalisers import SelectorKind
from deconfliction.services.registration import SelectorItem, selectors_register_batch
from partners.models import Membership
from portal.utils.crypto import decrypt_str, encrypt_str
from portal.utils.jsonsafe import jsonb_safe

logger = logging.getLogger(__name__)
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
CHUNK = 1_000


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": _("The file is not UTF-8 text. Save it as CSV UTF-8.")}) from exc


@transaction.atomic
def selector_import_create(
    *, access: CaseAccess, file_name: str, data: bytes, reason: str, request: HttpRequest | None = None
) -> ImportJob:
    """Check the upload and queue it; the rows are validated one by one by the task."""
    if not access.can("contribute_case"):
        raise PermissionDenied
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 5 MB; split it.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for registering these selectors.")})
    text = _decode(data)
    rows = sum(1 for line in text.splitlines() if line.strip())
    if rows == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if rows > MAX_ROWS:
        raise ValidationError({"file": _("At most %(n)s rows per file.") % {"n": MAX_ROWS}})
    job = ImportJob.objects.create(
        case=access.case,
        membership=access.membership,
        reason=reason.strip()[:500],
        content_encrypted=encrypt_str(text),
        file_name=file_name[:200],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        total_rows=rows,
    )
    audit_record(
        action="selector.import",
        request=request,
        actor=access.membership.user,
        organisation=access.membership.organisation,
        obj=access.case,
        details={"job": str(job.uuid), "rows": rows},
    )
    _enqueue_after_commit(job)
    return job


def _enqueue_after_commit(job: ImportJob) -> None:
    from deconfliction.tasks import import_selectors

    def send():
        try:
            import_selectors.delay(job.pk)
        except Exception:  # the broker is down: the job stays queued for the sweeper
            logger.exception("could not enqueue import job %s; the sweeper will retry", job.pk)

    transaction.on_commit(send)


def _parse(text: str) -> tuple[list[SelectorItem], list[dict]]:
    items, errors = [], []
    for line_number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if line_number == 1 and row[0].strip().lower() == "kind":
            continue  # a header row
        if len(row) not in (2, 3):
            errors.append(
                {
                    "line": line_number,
                    "reason": _("Expected kind,value or kind,value,note (found %(n)s columns).") % {"n": len(row)},
                }
            )
            continue
        kind = row[0].strip().lower()
        if kind not in SelectorKind.values:
            errors.append({"line": line_number, "reason": _("Unknown kind %(kind)s.") % {"kind": row[0].strip()}})
            continue
        items.append(SelectorItem(kind=kind, value=row[1], note=row[2] if len(row) == 3 else "", line=line_number))
    return items, errors


def selector_import_run(*, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("case", "membership__organisation", "membership__user").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        return _run(job)


def _run(job: ImportJob) -> ImportJob:
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return job
    membership: Membership = job.membership
    access = case_access_for(membership=membership, case=job.case)
    if not membership.active or not access.can("contribute_case"):
        return _finish(job, ImportJob.Status.FAILED, _("You no longer have access to this case."))
    items, errors = _parse(decrypt_str(job.content_encrypted))
    parse_errors = len(errors)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, processed_rows=parse_errors, heartbeat_at=timezone.now()
    )
    registered = already = hits = 0
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        try:
            results = selectors_register_batch(access=access, items=chunk, reason=job.reason)
        except (ValidationError, PermissionDenied) as exc:
            return _finish(job, ImportJob.Status.FAILED, " ".join(getattr(exc, "messages", [str(exc)])), errors=errors)
        for result in results:
            if result.status == "invalid":
                errors.append({"line": result.item.line, "reason": result.message})
            registered += result.status == "registered"
            already += result.status == "already_registered"
            hits += len(result.hits)
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=parse_errors + start + len(chunk),
            registered=registered,
            already_registered=already,
            hits=hits,
            heartbeat_at=timezone.now(),
        )
    errors.sort(key=lambda e: e["line"])
    return _finish(job, ImportJob.Status.DONE, "", errors=errors)


def _finish(job: ImportJob, status: str, failure: str, errors: list | None = None) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        failure=failure[:500],
        errors=jsonb_safe(errors or []),
        finished_at=timezone.now(),
        processed_rows=job.total_rows if status == ImportJob.Status.DONE else job.processed_rows,
        content_encrypted="",  # the raw values now live (encrypted) in the selectors only
    )
    job.refresh_from_db()
    return job


def import_jobs_requeue_stuck(*, older_than_minutes: int = 5) -> int:
    """The sweeper: queue again any job that has waited (or run) too long, e.g. after a broker
    outage or a killed worker. Safe because a run is idempotent."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stuck = list(
        ImportJob.objects.filter(
            status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING], heartbeat_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    from deconfliction.tasks import import_selectors

    for job_id in stuck:
        import_selectors.delay(job_id)
    return len(stuck)
