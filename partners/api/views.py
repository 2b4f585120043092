from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from partners.models import Organisation


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["uuid", "name", "short_code", "kind", "country", "desk_name", "desk_phone", "desk_email"]


@extend_schema(tags=["organisations"])
class OrganisationListView(generics.ListAPIView):
    """Active organisations and their 24/7 deconfliction contacts."""

    serializer_class = OrganisationSerializer
    queryset = Organisation.objects.filter(active=True)
    filterset_fields = ["kind", "country"]


@extend_schema(tags=["organisations"])
class OrganisationDetailView(generics.RetrieveAPIView):
    serializer_class = OrganisationSerializer
    queryset = Organisation.objects.filter(active=True)
    lookup_field = "uuid"
