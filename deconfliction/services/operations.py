"""Event deconfliction: planned operations that overlap in time and place.

Two operations conflict when their time windows overlap and their circles touch (the distance
between the centres is at most the sum of the radii), or, when either gives only a country,
when they are in the same country. Each side sees the other organisation, its 24/7 contact, the
overlapping window and the distance rounded to a kilometre; never the other operation's
codename, case or exact position.
"""

import math
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from cases.models import Case
from cases.selectors import cases_visible_to
from cases.services.common import notify_users
from deconfliction.digests import LOCK_NAMESPACE
from deconfliction.models import Operation, OperationConflict
from deconfliction.normalisers import SelectorError, country_alpha2
from deconfliction.selectors import hit_handlers
from notifications.models import Kind
from partners.models import Membership
from partners.roles import Capability, role_can

_EARTH_RADIUS_M = 6_371_000
_OPERATIONS_LOCK = 1_000  # outside the selector buckets (0-255)


def distance_m(a: Operation, b: Operation) -> float:
    """Great-circle (haversine) distance between two operation centres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(h))


def conflicts_in_place(a: Operation, b: Operation) -> tuple[bool, float | None]:
    if a.has_point and b.has_point:
        distance = distance_m(a, b)
        return distance <= a.radius_m + b.radius_m, distance
    return a.country == b.country, None


@transaction.atomic
def operation_plan(
    *,
    membership: Membership,
    kind: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    country: str,
    latitude: float | None = None,
    longitude: float | None = None,
    radius_m: int | None = None,
    case: Case | None = None,
    request: HttpRequest | None = None,
) -> tuple[Operation, list[OperationConflict]]:
    if not role_can(membership.role, Capability.REGISTER_SELECTORS):
        raise PermissionDenied(_("Your role does not plan operations."))
    if case is not None and not cases_visible_to(membership=membership).filter(pk=case.pk).exists():
        raise PermissionDenied
    try:
        country = country_alpha2(country)
    except SelectorError as exc:
        raise ValidationError({"country": str(exc)}) from exc
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    now = timezone.now()
    if ends_at < now:
        raise ValidationError({"ends_at": _("This operation would be over already.")})
    if starts_at < now - timedelta(days=1) or starts_at > now + timedelta(days=730):
        raise ValidationError({"starts_at": _("Plan operations from today up to two years ahead.")})
    if ends_at - starts_at > timedelta(days=31):
        raise ValidationError({"ends_at": _("An operation lasts at most 31 days; plan longer ones in parts.")})
    point = (latitude, longitude, radius_m)
    if any(v is not None for v in point) and any(v is None for v in point):
        raise ValidationError(_("Give latitude, longitude and radius together, or only a country."))
    operation = Operation(
        organisation=membership.organisation,
        case=case,
        kind=kind,
        title=title.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        latitude=latitude,
        longitude=longitude,
        radius_m=radius_m,
        country=country,
        created_by=membership.user,
    )
    operation.full_clean()
    if connection.vendor == "postgresql":
        # Two organisations planning at the same moment must both see the conflict.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, _OPERATIONS_LOCK])
    operation.save()
    candidates = Operation.objects.filter(
        status=Operation.Status.PLANNED, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exclude(organisation=membership.organisation)
    conflicts = []
    for other in candidates.select_related("organisation"):
        touching, distance = conflicts_in_place(operation, other)
        if touching:
            a, b = sorted((operation, other), key=lambda op: op.pk)
            conflicts.append(
                OperationConflict.objects.create(
                    operation_a=a, operation_b=b, distance_m=round(distance) if distance is not None else None
                )
            )
    audit_record(
        action="operation.plan",
        request=request,
        actor=membership.user,
        organisation=membership.organisation,
        obj=operation,
        details={"conflicts": [str(c.uuid) for c in conflicts]},
    )
    for conflict in conflicts:
        for op in (conflict.operation_a, conflict.operation_b):
            notify_users(
                hit_handlers(op.organisation),
                _("Operation conflict"),
                _(
                    "A planned operation of your organisation overlaps in time and place with one of "
                    "another organisation. Open the deconfliction desk in the portal now."
                ),
                kind=Kind.OPERATION_CONFLICT,
            )
    return operation, conflicts


@transaction.atomic
def operation_cancel(*, membership: Membership, operation: Operation, request: HttpRequest | None = None) -> None:
    if operation.organisation_id != membership.organisation_id or not role_can(
        membership.role, Capability.REGISTER_SELECTORS
    ):
        raise PermissionDenied
    Operation.objects.filter(pk=operation.pk).update(status=Operation.Status.CANCELLED)
    OperationConflict.objects.filter(
        Q(operation_a=operation) | Q(operation_b=operation), status=OperationConflict.Status.OPEN
    ).update(status=OperationConflict.Status.RESOLVED, resolved_at=timezone.now(), note=_("Operation cancelled."))
    audit_record(
        action="operation.cancel",
        request=request,
        actor=membership.user,
        organisation=membership.organisation,
        obj=operation,
    )


@transaction.atomic
def conflict_resolve(
    *, membership: Membership, conflict: OperationConflict, note: str, request: HttpRequest | None = None
) -> OperationConflict:
    if not role_can(membership.role, Capability.HANDLE_HITS):
        raise PermissionDenied(_("Your role does not handle deconfliction."))
    if conflict.status != OperationConflict.Status.OPEN:
        raise ValidationError(_("This conflict is already resolved."))
    if not (note or "").strip():
        raise ValidationError({"note": _("Say what was agreed.")})
    conflict.status, conflict.resolved_at = OperationConflict.Status.RESOLVED, timezone.now()
    conflict.note = f"{membership.organisation.short_code}: {note.strip()}"[:2000]
    conflict.save(update_fields=["status", "resolved_at", "note"])
    audit_record(
        action="operation.conflict_resolve",
        request=request,
        actor=membership.user,
        organisation=membership.organisation,
        obj=conflict,
    )
    return conflict
