"""Reads for deconfliction. Every view of a hit goes through ``hit_get_for_member``.

Blindness: what one side learns of the other is the selector kind, the other organisation and
its deconfliction contact, when the other side registered, the shared status and handling note.
The other case's reference, title and raw value never leave its own organisation.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case as SqlCase
from django.db.models import F, Max, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, Now
from django.http import Http404
from django.utils import timezone

from audit.services import Result, audit_record
from cases.selectors import CaseAccess, cases_visible_to
from deconfliction.models import Hit, Operation, OperationConflict, Selector, VolumeFlag
from partners.models import Membership, Organisation
from partners.roles import Capability, Role, role_can
from partners.selectors import members_with_capability
from portal.utils.crypto import DecryptionError, decrypt_str

SELECTOR_PAGE = 500  # the newest selectors of a case on its page; imports can add tens of thousands


def hit_handlers(organisation: Organisation):
    """The members of an organisation whose role handles deconfliction hits (they are told)."""
    return members_with_capability(organisation=organisation, capability=Capability.HANDLE_HITS)


def hit_handlers_by_organisation(*, organisation_ids) -> dict[int, list]:
    """hit_handlers for many organisations in one query: {organisation id: [users]}."""
    roles = [role for role in Role.values if role_can(role, Capability.HANDLE_HITS)]
    memberships = Membership.objects.filter(
        organisation_id__in=organisation_ids, active=True, role__in=roles, user__is_active=True
    ).select_related("user")
    handlers: dict[int, list] = defaultdict(list)
    for membership in memberships:
        handlers[membership.organisation_id].append(membership.user)
    return handlers


def selector_raw_value(*, selector: Selector, membership: Membership) -> str | None:
    """The value as typed, for members of the registering organisation only."""
    if selector.organisation_id != membership.organisation_id or not selector.raw_encrypted:
        return None
    try:
        return decrypt_str(selector.raw_encrypted)
    except DecryptionError:
        return None


# --- a hit's selectors ------------------------------------------------------------------------------
#
# A hit is a digest and a pair of organisations. Its selectors are the two organisations'
# selectors with that digest that held it while the hit was open (registered before it was
# resolved, not withdrawn before it was raised), and its last registration the newest active
# one of those: both are read when a hit is shown, so registering a value that hundreds of
# organisations hold writes nothing to their hits (it used to update and link every one of
# them). Links (Hit.selectors) hold only selectors whose stored digest is not the hit's (see
# the model).


def _during(hit: Hit) -> Q:
    """Selectors that held the hit's value while the hit was open: a resolved hit does not
    take in later registrations (a new hit is raised for those), and a selector withdrawn or
    expired before the hit was raised was never part of it."""
    lived = Q(deactivated_at__isnull=True) | Q(deactivated_at__gte=hit.created_at)
    if hit.resolved_at is not None:
        lived &= Q(registered_at__lte=hit.resolved_at)
    return lived


def _selector_in_hit(selector: Selector, hit: Hit) -> bool:
    """_during for one loaded selector (the case's selectors page)."""
    if selector.deactivated_at is not None and selector.deactivated_at < hit.created_at:
        return False
    return hit.resolved_at is None or selector.registered_at <= hit.resolved_at


def hit_selectors(hit: Hit) -> QuerySet[Selector]:
    """Every selector behind a hit, of both sides (callers filter to their own)."""
    # The links first, as a list: ORed with a subquery, PostgreSQL could not use the digest
    # index and read the whole selector table.
    linked = list(Hit.selectors.through.objects.filter(hit_id=hit.pk).values_list("selector_id", flat=True))
    pair = {hit.organisation_a_id, hit.organisation_b_id}
    by_digest = Q(digest=hit.digest, organisation_id__in=pair) & _during(hit)
    return Selector.objects.filter(by_digest | Q(pk__in=linked) if linked else by_digest)


def with_last_registration(hits: QuerySet[Hit]) -> QuerySet[Hit]:
    """Annotate ``last_registration``: the later of the hit's own time (raised, merged, or a
    registration under a newer key during a rotation) and the newest active registration of
    its digest by either organisation while it was open, one backward step in
    ``selector_digest_org`` per organisation."""
    newest = (
        Selector.objects.filter(
            active=True,
            digest=OuterRef("digest"),
            registered_at__lte=Coalesce(OuterRef("resolved_at"), Now()),
        )
        .filter(Q(organisation_id=OuterRef("organisation_a_id")) | Q(organisation_id=OuterRef("organisation_b_id")))
        .order_by()
        .values("digest")
        .annotate(newest=Max("registered_at"))
        .values("newest")
    )
    return hits.annotate(
        last_registration=Greatest(F("last_registration_at"), Coalesce(Subquery(newest), F("last_registration_at")))
    )


def hits_of_selectors(selectors: list[Selector], organisation_id: int) -> dict[int, list[Hit]]:
    """{selector id: its organisation's hits}, for a page of one organisation's selectors, in
    two queries (the hits with their digests, and the few linked ones)."""
    by_digest: dict[str, list[Hit]] = defaultdict(list)
    ours = Q(organisation_a_id=organisation_id) | Q(organisation_b_id=organisation_id)
    for hit in Hit.objects.filter(ours, digest__any=sorted({s.digest for s in selectors})).order_by("pk"):
        by_digest[hit.digest].append(hit)
    result = {s.pk: [h for h in by_digest.get(s.digest, []) if _selector_in_hit(s, h)] for s in selectors}
    linked = Hit.selectors.through.objects.filter(selector_id__in=list(result)).select_related("hit")
    for link in linked.filter(Q(hit__organisation_a_id=organisation_id) | Q(hit__organisation_b_id=organisation_id)):
        if all(h.pk != link.hit_id for h in result[link.selector_id]):
            result[link.selector_id].append(link.hit)
    return result


@dataclass
class OwnSelector:
    selector: Selector
    raw: str | None
    hits: list[Hit] | None = None


def selectors_of_case(*, access: CaseAccess) -> list[OwnSelector]:
    """Our organisation's selectors on a case, with raw values and their hits (other
    organisations' selectors on the same case are not listed: their values are theirs)."""
    org_id = access.membership.organisation_id
    rows = list(
        Selector.objects.filter(case=access.case, organisation_id=org_id)
        .select_related("registered_by")
        .order_by("-active", "-registered_at")[:SELECTOR_PAGE]
    )
    hits = hits_of_selectors(rows, org_id) if rows else {}
    return [
        OwnSelector(selector=s, raw=selector_raw_value(selector=s, membership=access.membership), hits=hits[s.pk])
        for s in rows
    ]


def hits_for_organisation(*, membership: Membership | None, open_only: bool = True) -> QuerySet[Hit]:
    """The organisation's hits, overdue first, then by last registration, newest first."""
    if membership is None:
        return Hit.objects.none()
    org_id = membership.organisation_id
    qs = Hit.objects.filter(Q(organisation_a_id=org_id) | Q(organisation_b_id=org_id))
    if open_only:
        qs = qs.exclude(status=Hit.Status.RESOLVED)
    now = timezone.now()
    return (
        with_last_registration(qs.select_related("organisation_a", "organisation_b"))
        .annotate(overdue=SqlCase(When(status=Hit.Status.NEW, ack_deadline__lt=now, then=Value(0)), default=Value(1)))
        .order_by("overdue", "-last_registration", "-pk")
    )


@dataclass
class HitView:
    """One hit as one side sees it."""

    hit: Hit
    other: Organisation
    other_first_registered: object
    own: list[OwnSelector]
    own_cases: list  # our cases holding the selector that this member can see
    acknowledged_by_us: bool


def hit_get_for_member(*, request, uuid, audit_action: str | None = "hit.view") -> HitView:
    """The gateway for hits: the hit as the member's side sees it, or Http404 (audited)."""
    membership = getattr(request, "membership", None)
    hits = with_last_registration(Hit.objects.select_related("organisation_a", "organisation_b"))
    hit = hits.filter(uuid=uuid).first()
    if (
        membership is None
        or hit is None
        or membership.organisation_id not in (hit.organisation_a_id, hit.organisation_b_id)
    ):
        audit_record(
            action=audit_action or "hit.access",
            result=Result.DENIED,
            request=request,
            object_type="deconfliction.hit",
            object_id=str(uuid),
            durable=True,
        )
        raise Http404
    org_id = membership.organisation_id
    other = hit.other_organisation(org_id)
    behind = hit_selectors(hit)
    own_rows = list(behind.filter(organisation_id=org_id).select_related("case").order_by("registered_at", "pk"))
    if hit.organisation_a_id == hit.organisation_b_id:
        other_first = min((s.registered_at for s in own_rows), default=None)
    else:
        other_first = behind.filter(organisation_id=other.pk).aggregate(first=Min("registered_at"))["first"]
    visible = set(
        cases_visible_to(membership=membership)
        .filter(pk__in=[s.case_id for s in own_rows])
        .values_list("pk", flat=True)
    )
    # Raw values only of selectors on cases this member can see (an organisation's RED case is
    # not readable to colleagues who are not named on it, not even through its selectors).
    own = [
        OwnSelector(
            selector=s, raw=selector_raw_value(selector=s, membership=membership) if s.case_id in visible else None
        )
        for s in own_rows
    ]
    if audit_action:
        audit_record(action=audit_action, request=request, obj=hit)
    return HitView(
        hit=hit,
        other=other,
        other_first_registered=other_first,
        own=own,
        own_cases=sorted({s.case for s in own_rows if s.case_id in visible}, key=lambda c: c.reference),
        acknowledged_by_us=hit.acknowledged_by(org_id),
    )


# --- operations ------------------------------------------------------------------------------------


def operations_of(*, membership: Membership | None) -> QuerySet[Operation]:
    if membership is None:
        return Operation.objects.none()
    return (
        Operation.objects.filter(organisation=membership.organisation, ends_at__gte=timezone.now())
        .exclude(status=Operation.Status.CANCELLED)
        .order_by("starts_at")
    )


def _coarse_km(distance_m: int | None) -> int | None:
    """Whole kilometres only: finer distances from a few probe operations would locate the
    other side's operation."""
    return None if distance_m is None else round(distance_m / 1000)


def conflicts_queryset(*, membership: Membership | None, open_only: bool = True) -> QuerySet[OperationConflict]:
    if membership is None:
        return OperationConflict.objects.none()
    org_id = membership.organisation_id
    qs = OperationConflict.objects.filter(
        Q(operation_a__organisation_id=org_id) | Q(operation_b__organisation_id=org_id)
    )
    if open_only:
        qs = qs.filter(status=OperationConflict.Status.OPEN)
    return qs.select_related("operation_a__organisation", "operation_b__organisation").order_by("-id")


def conflict_view(*, conflict: OperationConflict, membership: Membership) -> dict:
    """A conflict as this organisation sees it: our operation, the other organisation and its
    contact, the overlapping window and the distance; nothing of the other operation itself."""
    org_id = membership.organisation_id
    ours, theirs = (
        (conflict.operation_a, conflict.operation_b)
        if conflict.operation_a.organisation_id == org_id
        else (conflict.operation_b, conflict.operation_a)
    )
    return {
        "conflict": conflict,
        "ours": ours,
        "other": theirs.organisation,
        "overlap_start": max(ours.starts_at, theirs.starts_at),
        "overlap_end": min(ours.ends_at, theirs.ends_at),
        "distance_km": _coarse_km(conflict.distance_m),
    }


def conflicts_of(*, membership: Membership | None, open_only: bool = True) -> list[dict]:
    if membership is None:
        return []
    return [
        conflict_view(conflict=c, membership=membership)
        for c in conflicts_queryset(membership=membership, open_only=open_only)
    ]


def conflict_get_for_member(*, request, uuid) -> OperationConflict:
    membership = getattr(request, "membership", None)
    conflict = OperationConflict.objects.select_related("operation_a", "operation_b").filter(uuid=uuid).first()
    if (
        membership is None
        or conflict is None
        or membership.organisation_id
        not in (conflict.operation_a.organisation_id, conflict.operation_b.organisation_id)
    ):
        audit_record(
            action="operation.conflict_view",
            result=Result.DENIED,
            request=request,
            object_type="deconfliction.operationconflict",
            object_id=str(uuid),
            durable=True,
        )
        raise Http404
    return conflict


# --- the platform operator -------------------------------------------------------------------------

VOLUME_FLAG_PAGE = 200


def volume_flags_for_operator(*, request, include_reviewed: bool = False) -> list[VolumeFlag]:
    """Unusual registration volumes, not yet reviewed first, then newest (one page, audited).
    What the operator needs to follow one up: organisation, user, count and window; nothing of
    any case."""
    qs = VolumeFlag.objects.select_related("organisation", "user")
    if not include_reviewed:
        qs = qs.filter(reviewed_at__isnull=True)
    order = SqlCase(When(reviewed_at__isnull=True, then=Value(0)), default=Value(1))
    flags = list(qs.order_by(order, "-created_at")[:VOLUME_FLAG_PAGE])
    audit_record(action="volume_flag.list", request=request, details={"total": len(flags), "all": include_reviewed})
    return flags


def selector_of_case(*, access: CaseAccess, uuid) -> Selector:
    """One of the member's organisation's selectors on the case it reached through the gateway,
    or Http404: the only selectors a case's pages and API act on."""
    selector = Selector.objects.filter(
        case=access.case, uuid=uuid, organisation_id=access.membership.organisation_id
    ).first()
    if selector is None:
        raise Http404
    return selector
