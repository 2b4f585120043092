"""Reads for cases: the one gateway for a single case and the one list selector.

Access follows the user's *active* membership only: the organisation's group grants plus the
named grants given to the user for that membership. django-guardian's own checker unions every
group a user belongs to, which would carry police access into NGO work, so the checks here read
guardian's direct foreign-key tables themselves (in the same statement that reads the case).

The list is one SQL statement (``cases.listing``). Unfiltered, it reads the grant rows as a
maintained access table (design D of ../shared/PERFORMANCE.md): each grant carries its case's
``opened_at`` and is indexed newest first, so the page is the start of two index ranges. With a
filter it follows design B5 (the visible set is the union of grant ids, never a join with
DISTINCT, never OR'd EXISTS) with a dense and a sparse plan: walking the ``opened_at`` index
suits a member who sees thousands of cases, looking a few cases up by key suits one who sees
fifty. The total is counted over the grant ids alone whenever that is exact (no filter, no TLP
restriction), so counting never scans the case table.
"""

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Result, audit_record
from cases import listing
from cases.constants import TLP
from cases.listing import RESTRICTED_TLP
from cases.models import Case, CaseGroupObjectPermission, CaseShare, CaseUserObjectPermission
from partners.models import RESTRICTED_KINDS, Membership
from partners.roles import Capability, role_can

SPARSE_LIMIT = 1000
ROLE_CAPABILITY_FOR = {
    "contribute_case": Capability.CONTRIBUTE_CASE,
    "change_case": Capability.CHANGE_CASE,
    "share_case": Capability.SHARE_CASE,
}


def _permission_id(codename: str) -> Subquery:
    # A subquery, not a cached id: the planner evaluates it once per statement (an InitPlan),
    # and it stays right when tests re-create the permission table.
    return Subquery(Permission.objects.filter(content_type__app_label="cases", codename=codename).values("id")[:1])


def _live(qs: QuerySet) -> QuerySet:
    return qs.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def case_grant_ids(*, membership: Membership, codename: str = "view_case") -> tuple[QuerySet, QuerySet]:
    """Two id subqueries: cases granted to the active organisation's group, and named grants
    given to this user for this membership."""
    permission = _permission_id(codename)
    group_ids = _live(
        CaseGroupObjectPermission.objects.filter(group_id=membership.organisation.group_id, permission_id=permission)
    ).values_list("content_object_id", flat=True)
    user_ids = _live(
        CaseUserObjectPermission.objects.filter(
            user_id=membership.user_id, membership_id=membership.pk, permission_id=permission
        )
    ).values_list("content_object_id", flat=True)
    return group_ids, user_ids


def _restrict_for_kind(qs: QuerySet, membership: Membership) -> QuerySet:
    # Defence in depth: NGO and industry members never see AMBER+STRICT or RED, even if a grant
    # slipped through (sharing refuses it, and tightening the TLP revokes it).
    if membership.organisation.kind in RESTRICTED_KINDS:
        return qs.exclude(tlp__in=RESTRICTED_TLP)
    return qs


def cases_visible_to(*, membership: Membership | None) -> QuerySet[Case]:
    """Every case the member may see, as an unordered queryset (no rows fetched)."""
    if membership is None:
        return Case.objects.none()
    group_ids, user_ids = case_grant_ids(membership=membership)
    return _restrict_for_kind(Case.objects.filter(Q(pk__in=group_ids) | Q(pk__in=user_ids)), membership)


@dataclass
class CaseFilters:
    status: str = ""
    crime_type: str = ""
    tlp: str = ""
    country: str = ""
    lead: str = ""  # organisation UUID
    text: str = ""

    def apply(self, qs: QuerySet[Case]) -> QuerySet[Case]:
        if self.status:
            qs = qs.filter(status=self.status)
        if self.crime_type:
            qs = qs.filter(crime_type=self.crime_type)
        if self.tlp:
            qs = qs.filter(tlp=self.tlp)
        if self.country:
            qs = qs.filter(countries__contains=self.country.upper())
        if self.lead:
            qs = qs.filter(lead_organisation__uuid=self.lead)
        if self.text:
            qs = qs.filter(Q(reference__icontains=self.text) | Q(title__icontains=self.text))
        return qs

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True, slots=True)
class LeadRow:
    pk: int
    name: str
    short_code: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case as the list shows it. Plain rows, not model instances: building 50 cases with
    their lead organisations through the ORM cost more CPU than PostgreSQL spent finding
    them (issue 10's benchmark). Open the case through ``case_get_for_user`` for the rest."""

    pk: int
    uuid: uuid_module.UUID
    reference: str
    title: str
    crime_type: str
    status: str
    tlp: str
    lead_organisation: LeadRow
    opened_at: datetime


@dataclass
class CasePage:
    cases: list[CaseRow]
    total: int
    page: int
    per_page: int
    plan: str = field(default="dense")

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def case_list(*, membership: Membership | None, filters: CaseFilters, page: int = 1, per_page: int = 50) -> CasePage:
    """One page of visible cases, newest first, with the total: one SQL statement
    (``cases.listing``), two when the page asked for lies past the last one."""
    if membership is None:
        return CasePage(cases=[], total=0, page=1, per_page=per_page)
    page = max(page, 1)
    rows, visible, total, plan = _list_page(membership, filters, page, per_page)
    if not rows and page > 1:
        # Past the end (the list shrank, or a hand-edited URL): show the last page instead.
        _rows, visible, total, plan = _list_page(membership, filters, 1, 1)
        page = max(1, -(-total // per_page))
        if total:
            rows, visible, total, plan = _list_page(membership, filters, page, per_page)
    return CasePage(cases=rows, total=total, page=page, per_page=per_page, plan=plan)


def _row_converters():
    """The backend's conversions for the list's UUID and time columns (SQLite returns text)."""
    if connection.vendor != "sqlite":
        return None, None
    ops = connection.ops
    return (
        lambda value: ops.convert_uuidfield_value(value, None, connection),
        lambda value: ops.convert_datetimefield_value(value, None, connection),
    )


def _list_page(
    membership: Membership, filters: CaseFilters, page: int, per_page: int
) -> tuple[list[CaseRow], int, int, str]:
    statement = listing.list_statement(
        membership=membership,
        filters=filters,
        restricted=membership.organisation.kind in RESTRICTED_KINDS,
        offset=(page - 1) * per_page,
        limit=per_page,
        sparse_limit=SPARSE_LIMIT,
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        rows = cursor.fetchall()
    if not rows:
        return [], 0, 0, statement.plan
    as_uuid, as_datetime = _row_converters()
    leads: dict[int, LeadRow] = {}  # a few organisations lead most cases: one row each
    cases = []
    # The columns of listing.LIST_COLUMNS, then LEAD_COLUMNS, visible and total.
    for pk, uuid, reference, title, crime_type, status, tlp, lead_id, opened_at, lead_name, lead_code, *_counts in rows:
        lead = leads.get(lead_id) or leads.setdefault(lead_id, LeadRow(lead_id, lead_name, lead_code))
        if as_uuid:
            uuid, opened_at = as_uuid(uuid), as_datetime(opened_at)
        cases.append(CaseRow(pk, uuid, reference, title, crime_type, status, tlp, lead, opened_at))
    visible, total = rows[0][-2], rows[0][-1]
    plan = statement.plan if statement.plan == "newest" else ("dense" if visible > SPARSE_LIMIT else "sparse")
    return cases, visible, total, plan


# The case permissions as bits, so the gateway reads the case and what the member may do with
# it in one statement (issue 10's benchmark: the second query and its ORM compilation were a
# fifth of an API read). SUM(DISTINCT ...) counts a permission held both through the
# organisation and by name once.
PERMISSION_BITS = {"view_case": 1, "contribute_case": 2, "change_case": 4, "share_case": 8}
_GRANTED_SQL = f"""SELECT COALESCE(SUM(DISTINCT CASE p.codename {
    " ".join(f"WHEN '{codename}' THEN {bit}" for codename, bit in PERMISSION_BITS.items())
} ELSE 0 END), 0)
FROM auth_permission p WHERE p.id IN (
    SELECT g.permission_id FROM cases_casegroupobjectpermission g
    WHERE g.group_id = %s AND g.content_object_id = {{case}} AND (g.expires_at IS NULL OR g.expires_at > %s)
    UNION ALL
    SELECT u.permission_id FROM cases_caseuserobjectpermission u
    WHERE u.user_id = %s AND u.membership_id = %s AND u.content_object_id = {{case}}
      AND (u.expires_at IS NULL OR u.expires_at > %s)
)"""  # noqa: S608 - fixed names and codenames; every value is a parameter


def _granted(membership: Membership, case_sql: str) -> tuple[str, list]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [membership.organisation.group_id, now, membership.user_id, membership.pk, now]
    return _GRANTED_SQL.format(case=case_sql), params


def _permissions_from_bits(membership: Membership, case: Case, bits: int) -> frozenset[str]:
    # Defence in depth: NGO and industry members hold nothing on AMBER+STRICT or RED cases.
    if membership.organisation.kind in RESTRICTED_KINDS and case.tlp in RESTRICTED_TLP:
        return frozenset()
    # What the grant allows, narrowed by what the member's role may do (one table decides roles).
    # Seeing is the grant's alone: a ministry monitor sees a case only when it is shared.
    return frozenset(
        codename
        for codename, bit in PERMISSION_BITS.items()
        if bits & bit and (codename == "view_case" or role_can(membership.role, ROLE_CAPABILITY_FOR[codename]))
    )


def case_permissions(*, membership: Membership, case: Case) -> frozenset[str]:
    """The case permissions the member holds on one case through the active organisation."""
    # The case's key is an integer, written into the SQL as the gateway's annotation writes its
    # column there, so the parameters stay _granted's own.
    sql, params = _granted(membership, str(int(case.pk)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (bits,) = cursor.fetchone()
    return _permissions_from_bits(membership, case, bits)


@dataclass(frozen=True)
class CaseAccess:
    """A case as one member may use it: the object and the permissions they hold on it."""

    case: Case
    membership: Membership
    permissions: frozenset[str]

    def can(self, codename: str) -> bool:
        return codename in self.permissions

    @property
    def is_lead(self) -> bool:
        return self.case.lead_organisation_id == self.membership.organisation_id

    # Template-friendly shortcuts.
    @property
    def can_change(self) -> bool:
        return self.can("change_case")

    @property
    def can_share(self) -> bool:
        return self.can("share_case")

    @property
    def can_contribute(self) -> bool:
        return self.can("contribute_case")


def case_access_for(*, membership: Membership, case: Case) -> CaseAccess:
    """The case as ``membership`` may use it, for work that runs outside a request: a queued
    import, demo data, the benchmark. Requests go through ``case_get_for_user`` instead, which
    also answers 404 for cases the caller may not see and audits the read."""
    return CaseAccess(case=case, membership=membership, permissions=case_permissions(membership=membership, case=case))


def case_get_for_user(*, request, uuid, audit_action: str | None = "case.view") -> CaseAccess:
    """The gateway: the case with the caller's permissions, or Http404.

    Every page and API that touches one case comes through here. A case the caller may not see
    is a 404 whether or not it exists, and the refusal is audited as ``denied``; a successful
    read is audited with ``audit_action`` (change routes pass ``None`` and let the service
    write the event of the change itself).
    """
    membership = getattr(request, "membership", None)
    case = None
    if membership is not None:
        granted = RawSQL(*_granted(membership, '"cases_case"."id"'))  # noqa: S611 - values are parameters
        case = Case.objects.select_related("lead_organisation").annotate(granted=granted).filter(uuid=uuid).first()
    permissions = _permissions_from_bits(membership, case, case.granted) if case is not None else frozenset()
    if "view_case" not in permissions:
        audit_record(
            action=audit_action or "case.access",
            result=Result.DENIED,
            request=request,
            object_type="cases.case",
            object_id=str(uuid),
            durable=True,
        )
        raise Http404
    if audit_action:
        audit_record(action=audit_action, request=request, obj=case)
    return CaseAccess(case=case, membership=membership, permissions=permissions)


def case_shares(*, case: Case) -> QuerySet[CaseShare]:
    return (
        CaseShare.objects.filter(case=case)
        .select_related("organisation", "membership__user", "requested_by", "approved_by")
        .order_by("-status", "-created_at")
    )


def case_pending_handover(*, access: CaseAccess):
    """The lead handover waiting on this case, for the two organisations it concerns (None
    for everyone else, and when there is none)."""
    from cases.models import LeadHandover

    handover = (
        access.case.handovers.filter(status=LeadHandover.Status.PENDING)
        .select_related("from_organisation", "to_organisation")
        .first()
    )
    sides = (handover.from_organisation_id, handover.to_organisation_id) if handover else ()
    return handover if access.membership.organisation_id in sides else None


def case_share_candidates(*, access: CaseAccess):
    """Who the member may pick when sharing: any active organisation (the TLP rules decide at
    the share), and named people of the case's organisations (_people_of_the_case), so the form
    does not become a directory of everyone in the portal."""
    from partners.models import Organisation

    organisations = Organisation.objects.filter(active=True).order_by("name")
    return organisations, _people_of_the_case(access).order_by("organisation__name", "user__full_name")


def _people_of_the_case(access: CaseAccess) -> QuerySet[Membership]:
    """Active people of the member's own organisation and of organisations holding the case
    through an organisation share: someone named on a RED case does not open up their whole
    organisation's staff list."""
    holders = organisations_with_case(case=access.case).values("pk")
    return (
        Membership.objects.filter(active=True, user__is_active=True, user__is_service_account=False)
        .filter(Q(organisation_id=access.membership.organisation_id) | Q(organisation_id__in=holders))
        .select_related("user", "organisation")
    )


def case_people_to_name(*, access: CaseAccess) -> QuerySet[Membership]:
    """People a member may name on a case through the API: for a named share (needs the share
    permission and the role to share) or as a task's assignee (needs the role to handle tasks);
    the same people the share page offers."""
    # access.can already weighs the role against the permission (an analyst does not share).
    may_share = access.can("share_case")
    may_assign = access.can("contribute_case") and role_can(access.membership.role, Capability.HANDLE_TASKS)
    if not (may_share or may_assign):
        raise PermissionDenied(_("Your role does not name people on cases."))
    return _people_of_the_case(access)


def shares_awaiting_approval(*, membership: Membership | None) -> QuerySet[CaseShare]:
    """Pending four-eyes shares of cases the member's organisation leads and the member can share."""
    if membership is None:
        return CaseShare.objects.none()
    shareable = case_grant_ids(membership=membership, codename="share_case")
    return (
        CaseShare.objects.filter(status=CaseShare.Status.PENDING, case__lead_organisation=membership.organisation)
        .filter(Q(case_id__in=shareable[0]) | Q(case_id__in=shareable[1]))
        .select_related("case", "organisation", "membership__user", "requested_by")
        .order_by("created_at")
    )


def organisation_sees_case(*, organisation, case: Case, user=None) -> bool:
    """Whether an organisation (or a named person of it) can see the case now."""
    if organisation.kind in RESTRICTED_KINDS and case.tlp in RESTRICTED_TLP:
        return False
    view = _permission_id("view_case")
    if _live(
        CaseGroupObjectPermission.objects.filter(
            group_id=organisation.group_id, content_object=case, permission_id=view
        )
    ).exists():
        return True
    return (
        user is not None
        and _live(
            CaseUserObjectPermission.objects.filter(
                user=user, membership__organisation=organisation, content_object=case, permission_id=view
            )
        ).exists()
    )


def cases_by_next_milestone(*, membership: Membership | None) -> QuerySet[Case]:
    """The prosecutor's view: visible open cases with their next open milestone (``next_due``,
    ``next_kind``), soonest first."""
    from django.db.models import Min, OuterRef

    from cases.models import Milestone

    open_milestones = Milestone.objects.filter(
        case=OuterRef("pk"), done_date__isnull=True, due_date__isnull=False
    ).order_by("due_date", "id")
    return (
        cases_visible_to(membership=membership)
        .exclude(status__in=["closed", "referred"])
        .annotate(
            next_due=Min("milestones__due_date", filter=Q(milestones__done_date__isnull=True)),
            next_kind=Subquery(open_milestones.values("kind")[:1]),
        )
        .filter(next_due__isnull=False)
        .select_related("lead_organisation")
        .order_by("next_due", "id")
    )


def cases_with_next_milestone(*, membership: Membership | None, limit: int = 100) -> list[Case]:
    return list(cases_by_next_milestone(membership=membership)[:limit])


def milestones_for_calendar(*, membership: Membership) -> QuerySet:
    """Due dates for the calendar feed: never RED cases, never operational milestones."""
    from cases.models import OPERATIONAL_MILESTONES, Milestone

    return (
        Milestone.objects.filter(
            case__in=cases_visible_to(membership=membership).exclude(tlp=TLP.RED), due_date__isnull=False
        )
        .exclude(kind__in=OPERATIONAL_MILESTONES)
        .select_related("case")
        .order_by("due_date")
    )


def tasks_inbox(*, membership: Membership | None, direction: str = "incoming") -> QuerySet:
    """Tasks assigned to the member's organisation (incoming) or asked by it (outgoing), on
    cases the member can still see."""
    from cases.models import Task

    if membership is None:
        return Task.objects.none()
    field_name = "assigned_organisation" if direction == "incoming" else "requesting_organisation"
    return (
        Task.objects.filter(**{field_name: membership.organisation}, case__in=cases_visible_to(membership=membership))
        .select_related("case", "assigned_organisation", "requesting_organisation", "assignee")
        .order_by("status", "due_date", "-created_at")
    )


def red_cases_led_by(*, organisation) -> QuerySet[Case]:
    """For the lead organisation's admin: its RED cases by reference, with who is named. The
    admin does not see their content; this list exists so colleagues can be named."""
    from django.db.models import Prefetch

    named = CaseShare.objects.filter(status=CaseShare.Status.ACTIVE, membership__isnull=False).select_related(
        "membership__user"
    )
    return (
        Case.objects.filter(lead_organisation=organisation, tlp=TLP.RED)
        .exclude(status="closed")
        .prefetch_related(Prefetch("shares", queryset=named, to_attr="named_shares"))
        .order_by("-opened_at")
    )


def users_who_see_case(*, case: Case):
    """Everyone who can see the case right now through some membership: members of
    organisations with a live group grant (not NGO/industry for AMBER+STRICT or RED), and people
    named on it. Notices that carry a case reference go to these people only."""
    from accounts.models import User

    view = _permission_id("view_case")
    groups = _live(CaseGroupObjectPermission.objects.filter(content_object=case, permission_id=view)).values("group_id")
    via_group = Membership.objects.filter(active=True, organisation__group_id__in=groups)
    if case.tlp in RESTRICTED_TLP:
        via_group = via_group.exclude(organisation__kind__in=RESTRICTED_KINDS)
    named = _live(
        CaseUserObjectPermission.objects.filter(content_object=case, permission_id=view, membership__active=True)
    ).values("user_id")
    return (
        User.objects.filter(is_active=True).filter(Q(pk__in=via_group.values("user_id")) | Q(pk__in=named)).distinct()
    )


def organisations_with_case(*, case: Case):
    """Organisations holding the case through an active organisation share (the lead included)."""
    from partners.models import Organisation

    return Organisation.objects.filter(
        case_shares__case=case, case_shares__status=CaseShare.Status.ACTIVE, case_shares__membership__isnull=True
    )
