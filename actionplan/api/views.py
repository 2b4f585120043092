"""The action-plan API: measures and suppressed indicator figures (read), updates by owners."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from actionplan.models import Indicator, Measure, MeasureStatus
from actionplan.selectors import indicator_table
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


class FigureSerializer(serializers.Serializer):
    period = StrictCharField()
    organisation = StrictCharField(allow_null=True)
    value = StrictCharField(help_text='The figure, or "<5" when it is built from fewer than 5 cases.')


class IndicatorSerializer(serializers.ModelSerializer):
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = ["uuid", "code", "name", "unit", "direction", "target", "target_date", "source", "metric", "figures"]
        read_only_fields = fields

    def get_figures(self, indicator) -> list[dict]:
        table = indicator_table(indicator=indicator)
        rows = []
        for period, national, cells in table.rows:
            rows.append({"period": period, "organisation": None, "value": national.display})
            rows += [
                {"period": period, "organisation": str(org.uuid), "value": cell.display}
                for org, cell in zip(table.organisations, cells, strict=True)
                if cell.value is not None
            ]
        return rows


@extend_schema(tags=["action plan"])
class MeasureListView(ActionPlanReader, generics.ListAPIView):
    serializer_class = MeasureSerializer
    queryset = Measure.objects.select_related("owner_organisation").order_by("-id")


@extend_schema(tags=["action plan"], request=UpdateSerializer, responses={201: None})
class MeasureUpdateView(ActionPlanReader):
    """The owner organisation submits its quarterly update."""

    serializer_class = UpdateSerializer

    def post(self, request, uuid):
        measure = Measure.objects.filter(uuid=uuid).first()
        if measure is None:
            raise NotFound()
        data = UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        update = progress_submit(
            membership=request.membership, measure=measure, request=request._request, **data.validated_data
        )
        return Response({"uuid": str(update.uuid), "review": update.review}, status=status.HTTP_201_CREATED)


@extend_schema(tags=["action plan"])
class IndicatorListView(ActionPlanReader, generics.ListAPIView):
    """Indicators with their figures, suppressed exactly as on the dashboard."""

    serializer_class = IndicatorSerializer
    queryset = Indicator.objects.order_by("-id")

    def list(self, request, *args, **kwargs):
        audit_record(action="actionplan.export", request=request._request, details={"format": "api"})
        return super().list(request, *args, **kwargs)
