"""Human case references such as ``NL-2026-000123``: unique and race-free.

Each (country prefix, year) has a counter row; issuing a number locks that row, so two cases
opened at the same moment get consecutive numbers and never the same one. The row is created
with an insert that ignores conflicts first, so even the first case of a year is race-free. A
unique constraint on Case.reference is the last line of defence.
"""

from django.db import transaction
from django.utils import timezone

from cases.models import CaseReferenceCounter


def case_reference_next(*, country: str) -> str:
    year = timezone.now().year
    prefix = (country or "XX").upper()[:2]
    with transaction.atomic():
        CaseReferenceCounter.objects.bulk_create(
            [CaseReferenceCounter(prefix=prefix, year=year)], ignore_conflicts=True
        )
        counter = CaseReferenceCounter.objects.select_for_update().get(prefix=prefix, year=year)
        counter.last += 1
        counter.save(update_fields=["last"])
    return f"{prefix}-{year}-{counter.last:06d}"
