"""The deconfliction API (token scope: deconfliction)."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from audit.services import audit_record
from cases.selectors import case_get_for_user
from deconfliction.models import Hit, Operation, OperationConflict, Selector
from deconfliction.normalisers import SelectorKind
from deconfliction.selectors import (
    HitView,
    conflict_get_for_member,
    conflict_view,
    conflicts_of,
    conflicts_queryset,
    hit_get_for_member,
    hits_for_organisation,
    selector_of_case,
)
from deconfliction.services import (
    MAX_BATCH,
    SelectorItem,
    conflict_resolve,
    hit_acknowledge,
    hit_coordinate,
    hit_resolve,
    operation_cancel,
    operation_plan,
    selector_deactivate,
    selector_renew,
    selectors_register_batch,
)
from portal.api import ALL_PARAMETER, StrictCharField, path_choice, query_choice
from portal.utils.crypto import DecryptionError, decrypt_str


class DeconflictionView(generics.GenericAPIView):
    required_scope = "deconfliction"


class SelectorSerializer(serializers.ModelSerializer):
    value = serializers.SerializerMethodField()

    class Meta:
        model = Selector
        fields = ["uuid", "kind", "value", "note", "registered_at", "expires_at", "active"]
        read_only_fields = fields

    def get_value(self, selector) -> str | None:
        try:
            return decrypt_str(selector.raw_encrypted) if selector.raw_encrypted else None
        except DecryptionError:
            return None


class SelectorItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SelectorKind.choices)
    value = StrictCharField(max_length=1000, trim_whitespace=False)
    qualifier = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    note = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class SelectorRegisterSerializer(SelectorItemSerializer):
    reason = StrictCharField(max_length=500)


class BatchSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)
    items = SelectorItemSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


class RegistrationResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["registered", "already_registered", "invalid"])
    message = StrictCharField()
    selector = serializers.UUIDField(allow_null=True)
    hits = serializers.ListField(child=serializers.UUIDField())


def _results(results) -> list[dict]:
    return [
        {
            "index": i,
            "status": r.status,
            "message": r.message,
            "selector": str(r.selector.uuid) if r.selector else None,
            "hits": [str(h.uuid) for h in r.hits],
        }
        for i, r in enumerate(results)
    ]


def _case_for_selectors(request, uuid):
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    if not access.can("contribute_case"):
        raise PermissionDenied("Selectors are registered on a case you can contribute to.")
    return access


@extend_schema(tags=["deconfliction"])
class CaseSelectorsView(DeconflictionView, generics.ListAPIView):
    """Our organisation's selectors on a case (with their values); POST registers one."""

    serializer_class = SelectorSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Selector.objects.none()
        access = case_get_for_user(request=self.request, uuid=self.kwargs["uuid"], audit_action="case.view")
        return Selector.objects.filter(case=access.case, organisation=self.request.membership.organisation)

    @extend_schema(request=SelectorRegisterSerializer, responses={201: RegistrationResultSerializer})
    def post(self, request, uuid):
        access = _case_for_selectors(request, uuid)
        data = SelectorRegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        results = selectors_register_batch(
            access=access,
            reason=v["reason"],
            request=request._request,
            items=[SelectorItem(kind=v["kind"], value=v["value"], qualifier=v["qualifier"] or None, note=v["note"])],
        )
        result = _results(results)[0]
        if result["status"] == "invalid":
            return Response({"value": [result["message"]]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["deconfliction"], request=BatchSerializer, responses={200: RegistrationResultSerializer(many=True)}
)
class CaseSelectorBatchView(DeconflictionView):
    """Up to 10,000 selectors in one transaction, with a result per item and the hits raised."""

    serializer_class = RegistrationResultSerializer
    queryset = Selector.objects.none()
    pagination_class = None  # a POST that answers a list: no cursor or page_size to document

    def post(self, request, uuid):
        access = _case_for_selectors(request, uuid)
        data = BatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [
            SelectorItem(kind=i["kind"], value=i["value"], qualifier=i["qualifier"] or None, note=i["note"])
            for i in data.validated_data["items"]
        ]
        results = selectors_register_batch(
            access=access, items=items, reason=data.validated_data["reason"], request=request._request
        )
        return Response(_results(results))


SELECTOR_ACTIONS = {"renew": selector_renew, "deactivate": selector_deactivate}


class SelectorActionView(DeconflictionView):
    """renew: keep an active selector for another year (SELECTOR_VALID_DAYS) from now;
    deactivate: stop it matching (its raw value is emptied later, as for an expired one).
    One of our organisation's selectors on a case, as the case's selector page acts on it."""

    serializer_class = SelectorSerializer
    queryset = Selector.objects.none()

    @extend_schema(
        tags=["deconfliction"],
        request=None,
        responses=SelectorSerializer,
        operation_id="cases_selectors_action",
        parameters=[path_choice("action", list(SELECTOR_ACTIONS))],
    )
    def post(self, request, uuid, selector_uuid, action):
        act = SELECTOR_ACTIONS.get(action)
        if act is None:
            raise NotFound()
        access = _case_for_selectors(request, uuid)
        selector = selector_of_case(access=access, uuid=selector_uuid)
        selector = act(access=access, selector=selector, request=request._request)
        return Response(SelectorSerializer(selector).data)


class HitSerializer(serializers.ModelSerializer):
    # Declared: DRF drops allow_blank from read-only model fields, and the schema then leaves
    # the empty outcome of an unresolved hit out of the enum.
    outcome = serializers.ChoiceField(choices=Hit.Outcome.choices, allow_blank=True, read_only=True)
    other_organisation = serializers.SerializerMethodField()
    acknowledged_by_us = serializers.SerializerMethodField()
    # Read, not stored per registration (deconfliction.selectors.with_last_registration).
    last_registration_at = serializers.DateTimeField(source="last_registration", read_only=True)

    class Meta:
        model = Hit
        fields = [
            "uuid",
            "kind",
            "status",
            "outcome",
            "handling_note",
            "created_at",
            "last_registration_at",
            "ack_deadline",
            "other_organisation",
            "acknowledged_by_us",
        ]
        read_only_fields = fields

    def _org_id(self) -> int:
        return self.context["request"].membership.organisation_id

    def get_other_organisation(self, hit) -> dict:
        other = hit.other_organisation(self._org_id())
        return {
            "uuid": str(other.uuid),
            "name": other.name,
            "desk_name": other.desk_name,
            "desk_phone": other.desk_phone,
            "desk_email": other.desk_email,
        }

    def get_acknowledged_by_us(self, hit) -> bool:
        return hit.acknowledged_by(self._org_id())


class OwnSelectorSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(source="selector.uuid")
    kind = serializers.ChoiceField(source="selector.kind", choices=SelectorKind.choices)
    value = StrictCharField(
        source="raw",
        allow_null=True,
        help_text="Our value as typed; null where the caller cannot see its case, or once it is purged.",
    )
    case = serializers.SerializerMethodField()

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_case(self, own) -> str | None:
        # Only a case the caller can see: an organisation's RED case is not its colleagues'.
        return str(own.selector.case.uuid) if own.selector.case_id in self.context["visible_cases"] else None


class OwnCaseSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    reference = StrictCharField()


class HitDetailSerializer(HitSerializer):
    """A hit as our side sees it (hit_get_for_member): our selectors and cases behind it, and
    when the other side registered it; nothing of the other side's case or value."""

    own_selectors = serializers.SerializerMethodField()
    own_cases = serializers.SerializerMethodField()
    other_first_registered = serializers.SerializerMethodField()

    class Meta(HitSerializer.Meta):
        fields = [*HitSerializer.Meta.fields, "own_selectors", "own_cases", "other_first_registered"]
        read_only_fields = fields

    def _view(self) -> HitView:
        return self.context["hit_view"]

    @extend_schema_field(OwnSelectorSerializer(many=True))
    def get_own_selectors(self, hit) -> list[dict]:
        view = self._view()
        visible = {case.pk for case in view.own_cases}
        return OwnSelectorSerializer(view.own, many=True, context={"visible_cases": visible}).data

    @extend_schema_field(OwnCaseSerializer(many=True))
    def get_own_cases(self, hit) -> list[dict]:
        return OwnCaseSerializer(self._view().own_cases, many=True).data

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_other_first_registered(self, hit) -> str | None:
        first = self._view().other_first_registered
        return serializers.DateTimeField().to_representation(first) if first else None


def _hit_detail(request, view: HitView) -> dict:
    return HitDetailSerializer(view.hit, context={"request": request, "hit_view": view}).data


class HitActionSerializer(serializers.Serializer):
    note = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
    outcome = serializers.ChoiceField(choices=Hit.Outcome.choices, required=False, allow_blank=True, default="")


@extend_schema(tags=["deconfliction"], parameters=[ALL_PARAMETER])
class HitListView(DeconflictionView, generics.ListAPIView):
    """Our organisation's hits (open ones; ?all=1 for resolved ones too). Our own selectors and
    cases behind a hit are on its detail."""

    serializer_class = HitSerializer

    def _open_only(self) -> bool:
        return query_choice(self.request, "all", ("0", "1"), default="0") == "0"

    def get_queryset(self):
        return hits_for_organisation(
            membership=getattr(self.request, "membership", None), open_only=self._open_only()
        ).order_by("-id")

    def list(self, request, *args, **kwargs):
        # As the desk page does (deconfliction.views.hits): the list of hits is a read.
        audit_record(action="hit.list", request=request._request, details={"all": not self._open_only()})
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["deconfliction"])
class HitDetailView(DeconflictionView):
    serializer_class = HitDetailSerializer

    def get(self, request, uuid):
        return Response(_hit_detail(request, hit_get_for_member(request=request, uuid=uuid)))


class HitActionView(DeconflictionView):
    """acknowledge, coordinate or resolve a hit."""

    serializer_class = HitDetailSerializer

    @extend_schema(
        tags=["deconfliction"],
        request=HitActionSerializer,
        responses=HitDetailSerializer,
        operation_id="hits_action",
        parameters=[path_choice("action", ["acknowledge", "coordinate", "resolve"], "outcome: for resolve")],
    )
    def post(self, request, uuid, action):
        view = hit_get_for_member(request=request, uuid=uuid, audit_action=None)
        data = HitActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note, outcome = data.validated_data["note"], data.validated_data["outcome"]
        membership = request.membership
        if action == "acknowledge":
            hit = hit_acknowledge(membership=membership, hit=view.hit, note=note, request=request._request)
        elif action == "coordinate":
            hit = hit_coordinate(membership=membership, hit=view.hit, note=note, request=request._request)
        elif action == "resolve":
            hit = hit_resolve(membership=membership, hit=view.hit, outcome=outcome, note=note, request=request._request)
        else:
            raise NotFound()
        # The answer is the hit as its page shows it after the action, read (and audited as a
        # read) through the gateway.
        return Response(_hit_detail(request, hit_get_for_member(request=request, uuid=hit.uuid)))


class OperationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Operation
        fields = [
            "uuid",
            "kind",
            "title",
            "starts_at",
            "ends_at",
            "latitude",
            "longitude",
            "radius_m",
            "country",
            "status",
        ]
        read_only_fields = ["uuid", "status"]


class ConflictSerializer(serializers.Serializer):
    """A conflict as the caller's side sees it (nothing of the other operation itself)."""

    uuid = serializers.UUIDField(source="conflict.uuid")
    status = StrictCharField(source="conflict.status")
    our_operation = serializers.UUIDField(source="ours.uuid")
    other_organisation = StrictCharField(source="other.name")
    other_desk_phone = StrictCharField(source="other.desk_phone")
    other_desk_email = StrictCharField(source="other.desk_email")
    overlap_start = serializers.DateTimeField()
    overlap_end = serializers.DateTimeField()
    distance_km = serializers.IntegerField(allow_null=True)

    def to_representation(self, instance):
        if isinstance(instance, OperationConflict):
            instance = conflict_view(conflict=instance, membership=self.context["request"].membership)
        return super().to_representation(instance)


class OperationPlannedSerializer(serializers.Serializer):
    operation = OperationSerializer()
    conflicts = ConflictSerializer(many=True)


@extend_schema(tags=["operations"])
class OperationListView(DeconflictionView, generics.ListAPIView):
    """Our organisation's operations; POST plans one and reports its conflicts."""

    serializer_class = OperationSerializer

    def get_queryset(self):
        membership = getattr(self.request, "membership", None)
        return (
            Operation.objects.filter(organisation=membership.organisation) if membership else Operation.objects.none()
        )

    @extend_schema(request=OperationSerializer, responses={201: OperationPlannedSerializer})
    def post(self, request):
        data = OperationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        operation, conflicts = operation_plan(
            membership=request.membership, request=request._request, **data.validated_data
        )
        rows = [r for r in conflicts_of(membership=request.membership, open_only=True) if r["ours"].pk == operation.pk]
        return Response(
            {"operation": OperationSerializer(operation).data, "conflicts": ConflictSerializer(rows, many=True).data},
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["operations"], parameters=[ALL_PARAMETER])
class ConflictListView(DeconflictionView, generics.ListAPIView):
    """Our organisation's operation conflicts (open ones; ?all=1 for all)."""

    serializer_class = ConflictSerializer

    def get_queryset(self):
        open_only = query_choice(self.request, "all", ("0", "1"), default="0") == "0"
        return conflicts_queryset(membership=getattr(self.request, "membership", None), open_only=open_only)


class ConflictResolveSerializer(serializers.Serializer):
    note = StrictCharField(max_length=1000)


@extend_schema(tags=["operations"], request=ConflictResolveSerializer, responses={204: None})
class ConflictResolveView(DeconflictionView):
    serializer_class = ConflictResolveSerializer

    def post(self, request, uuid):
        conflict = conflict_get_for_member(request=request, uuid=uuid)
        data = ConflictResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conflict_resolve(
            membership=request.membership, conflict=conflict, note=data.validated_data["note"], request=request._request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["operations"], request=None, responses={204: None})
class OperationCancelView(DeconflictionView):
    serializer_class = OperationSerializer
    queryset = Operation.objects.none()

    def post(self, request, uuid):
        operation = Operation.objects.filter(uuid=uuid, organisation=request.membership.organisation).first()
        if operation is None:
            raise NotFound()
        operation_cancel(membership=request.membership, operation=operation, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
