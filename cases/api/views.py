"""The case API: the same gateway, selectors and services as the pages."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from accounts.models import User
from audit.services import audit_record
from cases.api import serializers as s
from cases.models import Case, CaseShare, LeadHandover, Milestone, Task, TimelineEntry
from cases.pagination import OpenedAtCursorPagination
from cases.selectors import (
    case_get_for_user,
    case_pending_handover,
    case_people_to_name,
    case_shares,
    cases_by_next_milestone,
    cases_visible_to,
    shares_awaiting_approval,
    tasks_inbox,
)
from cases.services import (
    case_change_tlp,
    case_create,
    case_handover_decide,
    case_handover_propose,
    case_note_add,
    case_share,
    case_share_decide,
    case_share_revoke,
    case_update,
    milestone_add,
    milestone_set_apply,
    milestone_update,
    task_create,
    task_set_status,
)
from partners.models import Membership, Organisation
from portal.api import CursorPagination, path_choice, query_choice


def _access(request, uuid, *, audit_action=None, need: str | None = None):
    access = case_get_for_user(request=request, uuid=uuid, audit_action=audit_action)
    if need and not access.can(need):
        raise PermissionDenied("You may see this case but not do this.")
    return access


class CaseFilter(django_filters.FilterSet):
    status = django_filters.CharFilter()
    crime_type = django_filters.CharFilter()
    tlp = django_filters.CharFilter()
    country = django_filters.CharFilter(method="filter_country")
    lead = django_filters.UUIDFilter(field_name="lead_organisation__uuid")
    text = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = Case
        fields = ["status", "crime_type", "tlp"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(countries__contains=value.upper()[:2])

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))


@extend_schema(tags=["cases"])
class CaseListView(generics.ListCreateAPIView):
    """Cases visible to the caller's organisation (list), or open a case (create)."""

    filterset_class = CaseFilter
    pagination_class = OpenedAtCursorPagination

    def get_serializer_class(self):
        return s.CaseCreateSerializer if self.request.method == "POST" else s.CaseSerializer

    def get_queryset(self):
        return cases_visible_to(membership=getattr(self.request, "membership", None)).select_related(
            "lead_organisation"
        )

    def list(self, request, *args, **kwargs):
        audit_record(
            action="case.search" if request.query_params.get("text") else "case.list",
            request=request._request,
            details={"api": True, "filters": {k: v[:100] for k, v in request.query_params.items()}},
        )
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.CaseCreateSerializer, responses={201: s.CaseSerializer})
    def post(self, request, *args, **kwargs):
        data = s.CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_create(membership=request.membership, request=request._request, **data.validated_data)
        return Response(s.CaseSerializer(case).data, status=status.HTTP_201_CREATED)


def _case_detail(access) -> dict:
    context = {"access": access, "pending_handover": case_pending_handover(access=access)}
    return s.CaseDetailSerializer(access.case, context=context).data


@extend_schema(tags=["cases"])
class CaseDetailView(generics.GenericAPIView):
    serializer_class = s.CaseDetailSerializer

    def get(self, request, uuid):
        return Response(_case_detail(_access(request, uuid, audit_action="case.view")))

    @extend_schema(request=s.CaseUpdateSerializer, responses=s.CaseDetailSerializer)
    def patch(self, request, uuid):
        access = _access(request, uuid, need="change_case")
        data = s.CaseUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        tlp = changes.pop("tlp", None)
        if changes:
            case_update(access=access, request=request._request, **changes)
        if tlp is not None:
            case_change_tlp(access=access, tlp=tlp, request=request._request)
        if not changes and tlp is None:
            # Nothing to change: the answer is the case, read like a GET and audited as one.
            audit_record(action="case.view", request=request._request, obj=access.case)
        access.case.refresh_from_db()
        return Response(_case_detail(access))


@extend_schema(tags=["sharing"])
class ShareListView(generics.ListAPIView):
    serializer_class = s.ShareSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CaseShare.objects.none()
        access = _access(self.request, self.kwargs["uuid"], audit_action="case.view", need="share_case")
        return case_shares(case=access.case)

    @extend_schema(request=s.ShareCreateSerializer, responses={201: s.ShareSerializer})
    def post(self, request, uuid):
        access = _access(request, uuid, need="share_case")
        data = s.ShareCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        organisation = (
            Organisation.objects.filter(uuid=v.get("organisation"), active=True).first()
            if v.get("organisation")
            else None
        )
        membership = (
            Membership.objects.filter(uuid=v.get("membership"), active=True)
            .select_related("organisation", "user")
            .first()
            if v.get("membership")
            else None
        )
        if organisation is None and membership is None:
            raise NotFound("No such organisation or membership.")
        share = case_share(
            access=access,
            organisation=organisation,
            membership=membership,
            level=v["level"],
            reason=v["reason"],
            legal_basis=v["legal_basis"],
            expires_at=v["expires_at"],
            request=request._request,
        )
        return Response(s.ShareSerializer(share).data, status=status.HTTP_201_CREATED)


class ShareActionView(generics.GenericAPIView):
    """approve, reject (four eyes) or revoke a share."""

    serializer_class = s.ShareSerializer

    @extend_schema(
        tags=["sharing"],
        request=s.ReasonSerializer,
        responses=s.ShareSerializer,
        operation_id="cases_share_action",
        parameters=[path_choice("action", ["approve", "reject", "revoke"], "reason applies to revoke only")],
    )
    def post(self, request, uuid, share_uuid, action):
        access = _access(request, uuid, need="share_case")
        share = CaseShare.objects.filter(case=access.case, uuid=share_uuid).first()
        if share is None or action not in ("approve", "reject", "revoke"):
            raise NotFound()
        if action == "revoke":
            data = s.ReasonSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            share = case_share_revoke(
                access=access, share=share, reason=data.validated_data["reason"], request=request._request
            )
        else:
            share = case_share_decide(access=access, share=share, approve=action == "approve", request=request._request)
        return Response(s.ShareSerializer(share).data)


@extend_schema(tags=["milestones"])
class MilestoneListView(generics.ListAPIView):
    serializer_class = s.MilestoneSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Milestone.objects.none()
        access = _access(self.request, self.kwargs["uuid"], audit_action="case.view")
        return access.case.milestones.select_related("owner_organisation")

    @extend_schema(request=s.MilestoneCreateSerializer, responses={201: s.MilestoneSerializer})
    def post(self, request, uuid):
        access = _access(request, uuid, need="contribute_case")
        data = s.MilestoneCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        milestone = milestone_add(access=access, request=request._request, **data.validated_data)
        return Response(s.MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["milestones"], request=None, responses={201: s.MilestoneSerializer(many=True)})
class MilestoneApplyView(generics.GenericAPIView):
    """Add the standard milestones of the case's crime type."""

    serializer_class = s.MilestoneSerializer
    queryset = Milestone.objects.none()
    pagination_class = None  # a POST that answers a list: no cursor or page_size to document

    def post(self, request, uuid):
        access = _access(request, uuid, need="contribute_case")
        created = milestone_set_apply(access=access, request=request._request)
        return Response(s.MilestoneSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["milestones"], request=s.MilestoneUpdateSerializer, responses=s.MilestoneSerializer)
class MilestoneDetailView(generics.GenericAPIView):
    serializer_class = s.MilestoneSerializer

    def patch(self, request, uuid, milestone_uuid):
        access = _access(request, uuid, need="contribute_case")
        milestone = Milestone.objects.filter(case=access.case, uuid=milestone_uuid).first()
        if milestone is None:
            raise NotFound()
        data = s.MilestoneUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        # Only what the PATCH sends changes: milestone_update keeps the fields left out.
        milestone = milestone_update(
            access=access, milestone=milestone, request=request._request, **data.validated_data
        )
        return Response(s.MilestoneSerializer(milestone).data)


@extend_schema(tags=["tasks"])
class TaskListView(generics.ListAPIView):
    serializer_class = s.TaskSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        access = _access(self.request, self.kwargs["uuid"], audit_action="case.view")
        return access.case.tasks.select_related("requesting_organisation", "assigned_organisation", "assignee")

    @extend_schema(request=s.TaskCreateSerializer, responses={201: s.TaskSerializer})
    def post(self, request, uuid):
        access = _access(request, uuid, need="contribute_case")
        data = s.TaskCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        assignee_uuid = values.pop("assignee")
        assignee = User.objects.filter(uuid=assignee_uuid).first() if assignee_uuid else None
        if assignee_uuid and assignee is None:
            raise NotFound("No such person.")
        task = task_create(access=access, assignee=assignee, request=request._request, **values)
        return Response(s.TaskSerializer(task).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tasks"], request=s.TaskStatusSerializer, responses=s.TaskSerializer)
class TaskStatusView(generics.GenericAPIView):
    serializer_class = s.TaskSerializer

    def post(self, request, uuid, task_uuid):
        access = _access(request, uuid)
        task = Task.objects.filter(case=access.case, uuid=task_uuid).first()
        if task is None:
            raise NotFound()
        data = s.TaskStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = task_set_status(access=access, task=task, request=request._request, **data.validated_data)
        return Response(s.TaskSerializer(task).data)


@extend_schema(tags=["timeline"])
class NoteListView(generics.ListAPIView):
    """The case's timeline (notes and events); POST adds a note."""

    serializer_class = s.TimelineSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TimelineEntry.objects.none()
        access = _access(self.request, self.kwargs["uuid"], audit_action="case.view")
        return access.case.timeline.select_related("author", "organisation")

    @extend_schema(request=s.NoteCreateSerializer, responses={201: s.TimelineSerializer})
    def post(self, request, uuid):
        access = _access(request, uuid, need="contribute_case")
        data = s.NoteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = case_note_add(access=access, body=data.validated_data["body"], request=request._request)
        return Response(s.TimelineSerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["sharing"])
class HandoverView(generics.GenericAPIView):
    """Offer the lead to an organisation that already has the case."""

    serializer_class = s.HandoverSerializer
    queryset = LeadHandover.objects.none()

    @extend_schema(request=s.HandoverCreateSerializer, responses={201: s.HandoverSerializer})
    def post(self, request, uuid):
        access = _access(request, uuid, need="share_case")
        data = s.HandoverCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = Organisation.objects.filter(uuid=data.validated_data["to_organisation"], active=True).first()
        if organisation is None:
            raise NotFound("No such organisation.")
        handover = case_handover_propose(
            access=access, organisation=organisation, reason=data.validated_data["reason"], request=request._request
        )
        return Response(s.HandoverSerializer(handover).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["sharing"])
class HandoverDecisionView(generics.GenericAPIView):
    """The receiving organisation accepts or declines the lead (it finds the offer as
    ``pending_handover`` on the case)."""

    serializer_class = s.HandoverSerializer
    queryset = LeadHandover.objects.none()

    @extend_schema(
        request=None,
        responses=s.HandoverSerializer,
        operation_id="cases_handover_decide",
        parameters=[path_choice("decision", ["accept", "decline"])],
    )
    def post(self, request, uuid, handover_uuid, decision):
        access = _access(request, uuid)
        handover = LeadHandover.objects.filter(case=access.case, uuid=handover_uuid).first()
        if handover is None or decision not in ("accept", "decline"):
            raise NotFound()
        handover = case_handover_decide(
            access=access, handover=handover, accept=decision == "accept", request=request._request
        )
        return Response(s.HandoverSerializer(handover).data)


@extend_schema(
    tags=["tasks"],
    parameters=[
        OpenApiParameter(
            "direction",
            str,
            enum=["incoming", "outgoing"],
            default="incoming",
            description="incoming: assigned to the caller's organisation; outgoing: asked by it.",
        )
    ],
)
class TaskInboxView(generics.ListAPIView):
    """Tasks assigned to the caller's organisation (?direction=outgoing: the ones it asked)."""

    serializer_class = s.InboxTaskSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        direction = query_choice(self.request, "direction", ("incoming", "outgoing"), default="incoming")
        audit_record(action="case.list", request=self.request._request, details={"view": f"api-tasks-{direction}"})
        return tasks_inbox(membership=getattr(self.request, "membership", None), direction=direction)


@extend_schema(tags=["sharing"])
class ApprovalListView(generics.ListAPIView):
    """Shares of our organisation's cases that wait for a second approver (four eyes)."""

    serializer_class = s.PendingShareSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CaseShare.objects.none()
        audit_record(action="case.list", request=self.request._request, details={"view": "api-approvals"})
        return shares_awaiting_approval(membership=getattr(self.request, "membership", None))


class _SoonestFirst(CursorPagination):
    ordering = ("next_due", "id")


@extend_schema(tags=["milestones"])
class UpcomingMilestoneListView(generics.ListAPIView):
    """Open cases we see with their next open milestone, soonest first (the prosecutor's view)."""

    serializer_class = s.UpcomingMilestoneSerializer
    pagination_class = _SoonestFirst

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        audit_record(action="case.list", request=self.request._request, details={"view": "api-milestones"})
        return cases_by_next_milestone(membership=getattr(self.request, "membership", None))


@extend_schema(tags=["sharing"])
class CasePeopleView(generics.ListAPIView):
    """People the caller may name on this case: members of the caller's organisation and of
    organisations holding the case. ``membership`` goes into a named share (for those who may
    share), ``user`` into a task's assignee (for those who handle tasks)."""

    serializer_class = s.PersonSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        access = _access(self.request, self.kwargs["uuid"], audit_action="case.view")
        return case_people_to_name(access=access)  # a refusal is a 403 (portal.api.exception_handler)
