"""The action-plan API: measures and suppressed indicator figures (read), updates by owners."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from actionplan.models import Indicator, Measure, MeasureStatus, Metric, ProgressUpdate
from actionplan.selectors import indicator_get, indicator_table, measure_get
from actionplan.services import progress_submit
from audit.services import audit_record
from partners.roles import Capability, role_can
from portal.api import StrictCharField


class ActionPlanReader(generics.GenericAPIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not role_can(request.membership.role, Capability.VIEW_ACTIONPLAN):
            raise PermissionDenied("Your role does not read the action plan.")


class MeasureSerializer(serializers.ModelSerializer):
    owner_organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = Measure
        fields = [
            "uuid",
            "code",
            "title",
            "description",
            "owner_organisation",
            "start",
            "deadline",
            "status",
            "percent_done",
        ]
        read_only_fields = fields


class UpdateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)
    status = serializers.ChoiceField(choices=MeasureStatus.choices)
    percent_done = serializers.IntegerField(min_value=0, max_value=100)
    narrative = StrictCharField(max_length=5000)


class ProgressUpdateSerializer(serializers.ModelSerializer):
    measure = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = [
            "uuid",
            "measure",
            "year",
            "quarter",
            "period",
            "status",
            "percent_done",
            "narrative",
            "submitted_at",
            "review",
            "reviewed_at",
            "review_comment",
        ]
        read_only_fields = fields


class FigureSerializer(serializers.Serializer):
    period = StrictCharField()
    organisation = StrictCharField(allow_null=True)
    value = StrictCharField(
        help_text='The figure, or a mark where it is hidden: "<5" when it is built from fewer than 5 cases, '
        '"x" when it is hidden to protect such a figure.'
    )


class IndicatorSerializer(serializers.ModelSerializer):
    # Declared: DRF drops allow_blank from read-only model fields, and the schema then leaves
    # the empty metric of an entered (manual) indicator out of the enum.
    metric = serializers.ChoiceField(choices=Metric.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Indicator
        fields = ["uuid", "code", "name", "unit", "direction", "target", "target_date", "source", "metric"]
        read_only_fields = fields


class IndicatorDetailSerializer(IndicatorSerializer):
    figures = serializers.SerializerMethodField()

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "figures"]
        read_only_fields = fields

    @extend_schema_field(FigureSerializer(many=True))
    def get_figures(self, indicator) -> list[dict]:
        return [
            {"period": period, "organisation": str(org.uuid) if org else None, "value": cell.display}
            for period, org, cell in indicator_table(indicator=indicator).figures()
        ]


@extend_schema(tags=["action plan"])
class MeasureListView(ActionPlanReader, generics.ListAPIView):
    serializer_class = MeasureSerializer
    queryset = Measure.objects.select_related("owner_organisation").order_by("-id")


@extend_schema(tags=["action plan"])
class MeasureUpdateView(ActionPlanReader, generics.ListAPIView):
    """A measure's quarterly updates, newest first, with the ministry's review (a returned update
    says why, so the owner can submit it again); the owner organisation submits them here."""

    serializer_class = ProgressUpdateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProgressUpdate.objects.none()
        measure = measure_get(uuid=self.kwargs["uuid"])
        audit_record(action="actionplan.view", request=self.request._request, obj=measure, details={"api": "updates"})
        return measure.updates.all()

    @extend_schema(request=UpdateSerializer, responses={201: ProgressUpdateSerializer})
    def post(self, request, uuid):
        measure = measure_get(uuid=uuid)
        data = UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        update = progress_submit(
            membership=request.membership, measure=measure, request=request._request, **data.validated_data
        )
        return Response(ProgressUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["action plan"])
class IndicatorListView(ActionPlanReader, generics.ListAPIView):
    """The indicators; each one's figures are on its detail (indicator_table, the selector the
    dashboard and the exports read, so page and API hide the same cells)."""

    serializer_class = IndicatorSerializer
    queryset = Indicator.objects.order_by("-id")

    def list(self, request, *args, **kwargs):
        audit_record(action="actionplan.view", request=request._request, details={"api": "indicators"})
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["action plan"])
class IndicatorDetailView(ActionPlanReader):
    """One indicator with its figures, suppressed exactly as on the dashboard."""

    serializer_class = IndicatorDetailSerializer

    def get(self, request, uuid):
        indicator = indicator_get(uuid=uuid)
        # Figures leaving through the API are an export, as before the list lost them.
        audit_record(action="actionplan.export", request=request._request, obj=indicator, details={"format": "api"})
        return Response(IndicatorDetailSerializer(indicator).data)
