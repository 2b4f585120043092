import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.roles import Role


class OrganisationKind(models.TextChoices):
    POLICE = "police", _("Police")
    PROSECUTION = "prosecution", _("Public prosecution")
    MINISTRY = "ministry", _("Ministry")
    NGO = "ngo", _("NGO")
    INTERNATIONAL = "international", _("International body")
    FOREIGN_POLICE = "foreign_police", _("Foreign police")
    INDUSTRY = "industry", _("Industry")


# Shares to these kinds need a recorded legal basis and a second approver (four eyes).
CROSS_BORDER_KINDS = frozenset(
    {OrganisationKind.FOREIGN_POLICE, OrganisationKind.INTERNATIONAL, OrganisationKind.INDUSTRY}
)
# Members of these kinds never see AMBER+STRICT or RED material.
RESTRICTED_KINDS = frozenset({OrganisationKind.NGO, OrganisationKind.INDUSTRY})


class Organisation(models.Model):
    """A participating organisation. Its auth Group carries the organisation's object grants."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_code = models.SlugField(_("short code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    desk_name = models.CharField(_("deconfliction desk"), max_length=200)
    desk_phone = models.CharField(_("desk phone (24/7)"), max_length=40)
    desk_email = models.EmailField(_("desk email"))
    active = models.BooleanField(_("active"), default=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="organisation")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in OrganisationKind]), name="organisation_kind_valid"
            ),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="organisation_country_alpha2"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's membership of an organisation, with one role.

    A user acts for one membership at a time (the organisation switcher); access checks and
    audit events use only that one.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            # At most one active membership per user and organisation; history rows may repeat.
            models.UniqueConstraint(
                fields=["user", "organisation"], condition=Q(active=True), name="membership_one_active_per_org"
            ),
            models.CheckConstraint(condition=Q(role__in=[r.value for r in Role]), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"
