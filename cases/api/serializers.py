import copy

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.constants import TLP, AccessLevel, CaseStatus, CrimeType, LegalBasis
from cases.models import Case, CaseShare, LeadHandover, Milestone, MilestoneKind, Task, TimelineEntry
from partners.models import Membership
from portal.api import StrictCharField


class OrgRefField(serializers.SlugRelatedField):
    """Organisations by UUID."""

    def __init__(self, **kwargs):
        from partners.models import Organisation

        kwargs.setdefault("queryset", Organisation.objects.filter(active=True))
        super().__init__(slug_field="uuid", **kwargs)


class CaseSerializer(serializers.ModelSerializer):
    lead_organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "uuid",
            "reference",
            "title",
            "summary",
            "crime_type",
            "status",
            "tlp",
            "lead_organisation",
            "countries",
            "opened_at",
            "closed_at",
            "victims_identified",
            "victims_safeguarded",
            "suspects_identified",
            "suspects_arrested",
            "permissions",
        ]
        read_only_fields = fields

    def get_fields(self):
        # DRF builds a ModelSerializer's fields from the model on every instance: half this
        # serializer's time on the case detail API. They depend on the class only; each
        # instance gets its own copies (as DRF does with declared fields), bound to it.
        cls = type(self)
        if "_built_fields" not in cls.__dict__:
            cls._built_fields = super().get_fields()
        return copy.deepcopy(cls._built_fields)

    def get_permissions(self, case) -> list[str]:
        access = self.context.get("access")
        return sorted(access.permissions) if access is not None and access.case.pk == case.pk else []


class CaseCreateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    crime_type = serializers.ChoiceField(choices=CrimeType.choices)
    tlp = serializers.ChoiceField(choices=TLP.choices)
    summary = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    countries = StrictCharField(max_length=400, required=False, allow_blank=True, default="")


class CaseUpdateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200, required=False)
    summary = StrictCharField(max_length=5000, required=False, allow_blank=True)
    crime_type = serializers.ChoiceField(choices=CrimeType.choices, required=False)
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    countries = StrictCharField(max_length=400, required=False, allow_blank=True)
    tlp = serializers.ChoiceField(choices=TLP.choices, required=False)
    victims_identified = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    victims_safeguarded = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    suspects_identified = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    suspects_arrested = serializers.IntegerField(min_value=0, max_value=100000, required=False)


class ShareSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    # allow_null and allow_blank only tell the schema: an organisation's share has no
    # membership, and a share without a stated legal basis an empty one (DRF drops both from
    # read-only model fields, so the documented enum and type left those values out).
    membership = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices, allow_blank=True, read_only=True)

    class Meta:
        model = CaseShare
        fields = [
            "uuid",
            "organisation",
            "membership",
            "level",
            "status",
            "reason",
            "legal_basis",
            "expires_at",
            "is_lead",
            "created_at",
            "decided_at",
            "ended_at",
        ]
        read_only_fields = fields


class ShareCreateSerializer(serializers.Serializer):
    organisation = serializers.UUIDField(required=False)
    membership = serializers.UUIDField(required=False, help_text="A named person's membership (RED cases).")
    level = serializers.ChoiceField(choices=AccessLevel.choices)
    reason = StrictCharField(max_length=500)
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices, required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, data):
        if bool(data.get("organisation")) == bool(data.get("membership")):
            raise serializers.ValidationError("Give either organisation or membership.")
        return data


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class MilestoneSerializer(serializers.ModelSerializer):
    owner_organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = Milestone
        fields = ["uuid", "kind", "owner_organisation", "due_date", "done_date", "note", "is_overdue", "is_due_soon"]
        read_only_fields = fields


class MilestoneCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MilestoneKind.choices)
    owner_organisation = OrgRefField()
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    note = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")


class MilestoneUpdateSerializer(serializers.Serializer):
    """PATCH: only the fields sent change (no defaults, so a field left out is not in
    validated_data); null clears a date."""

    due_date = serializers.DateField(required=False, allow_null=True)
    done_date = serializers.DateField(required=False, allow_null=True)
    note = StrictCharField(max_length=1000, required=False, allow_blank=True)


class TaskSerializer(serializers.ModelSerializer):
    requesting_organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    assigned_organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)  # the schema: null

    class Meta:
        model = Task
        fields = [
            "uuid",
            "title",
            "description",
            "requesting_organisation",
            "assigned_organisation",
            "assignee",
            "priority",
            "due_date",
            "status",
            "decline_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TaskCreateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    assigned_organisation = OrgRefField()
    assignee = serializers.UUIDField(required=False, allow_null=True, default=None, help_text="A user's UUID")
    priority = serializers.ChoiceField(choices=Task.Priority.choices, default=Task.Priority.NORMAL)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class TaskStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Task.Status.choices)
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class TimelineSerializer(serializers.ModelSerializer):
    # System events have no author or organisation: allow_null tells the schema.
    organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    author = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["uuid", "kind", "body", "author", "organisation", "created_at"]
        read_only_fields = fields


class NoteCreateSerializer(serializers.Serializer):
    body = StrictCharField(max_length=10000)


class HandoverCreateSerializer(serializers.Serializer):
    to_organisation = serializers.UUIDField()
    reason = StrictCharField(max_length=500)


class HandoverSerializer(serializers.ModelSerializer):
    from_organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    to_organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = LeadHandover
        fields = ["uuid", "from_organisation", "to_organisation", "reason", "status", "created_at", "decided_at"]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    """One case, with the lead handover waiting for consent if the caller's organisation is
    one of its two sides (the receiving side finds the offer here, as on the case page)."""

    pending_handover = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "pending_handover"]
        read_only_fields = fields

    @extend_schema_field(HandoverSerializer(allow_null=True))
    def get_pending_handover(self, case) -> dict | None:
        """From the view's context: cases.selectors.case_pending_handover for the caller."""
        handover = self.context.get("pending_handover")
        return HandoverSerializer(handover).data if handover else None


class InboxTaskSerializer(TaskSerializer):
    case = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    case_reference = serializers.CharField(source="case.reference", read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "case", "case_reference"]
        read_only_fields = fields


class PendingShareSerializer(ShareSerializer):
    case = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    case_reference = serializers.CharField(source="case.reference", read_only=True)

    class Meta(ShareSerializer.Meta):
        fields = [*ShareSerializer.Meta.fields, "case", "case_reference"]
        read_only_fields = fields


class UpcomingMilestoneSerializer(serializers.ModelSerializer):
    """A visible open case with its next open milestone."""

    lead_organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    next_due = serializers.DateField(read_only=True)
    next_kind = serializers.ChoiceField(choices=MilestoneKind.choices, read_only=True)

    class Meta:
        model = Case
        fields = ["uuid", "reference", "lead_organisation", "next_due", "next_kind"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    """Someone the caller may name: ``membership`` for a named share, ``user`` for a task."""

    membership = serializers.UUIDField(source="uuid", read_only=True)
    user = serializers.UUIDField(source="user.uuid", read_only=True)
    name = serializers.CharField(source="user.full_name", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = Membership
        fields = ["membership", "user", "name", "organisation", "role"]
        read_only_fields = fields
