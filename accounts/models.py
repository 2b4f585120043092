import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Email addresses are compared case-insensitively everywhere.
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person (or a partner system's service account) who uses the portal.

    Internal bigint key for joins and guardian's tables; the UUID is what URLs show.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"), max_length=254)
    full_name = models.CharField(_("full name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff (admin site)"), default=False)
    is_platform_operator = models.BooleanField(
        _("platform operator"),
        default=False,
        help_text=_("Creates organisations and their first admin. Has no case access."),
    )
    is_service_account = models.BooleanField(
        _("service account"),
        default=False,
        help_text=_("A partner system's account: API tokens only, no interactive login."),
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Amsterdam")
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class Invitation(models.Model):
    """A single-use link that lets a person set a password and enrol a second factor.

    Only the SHA-256 of the link's secret is stored: a database reader cannot use a pending link.
    """

    class Purpose(models.TextChoices):
        ENROL = "enrol", _("New account")
        RESET_SECOND_FACTOR = "reset_2fa", _("Reset second factor")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    email = models.EmailField(max_length=254)
    full_name = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    organisation = models.ForeignKey(
        "partners.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=32, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.email}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class TOTPDevice(ThrottlingMixin, TimestampMixin, Device):
    """An authenticator app (RFC 6238 TOTP) whose seed is stored encrypted.

    django-otp's own TOTP device keeps the seed as plain hex; this one keeps it encrypted with
    the field-encryption keys, which live outside the database and its backups. Verification
    is in accounts.otp so it can lock the row (two simultaneous requests with the same code
    must not both succeed).
    """

    key_encrypted = models.TextField()
    step = models.PositiveSmallIntegerField(default=30)
    digits = models.PositiveSmallIntegerField(default=6)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1, help_text="The last time step accepted (replay guard).")

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        from accounts.otp import totp_verify

        return totp_verify(device=self, token=str(token))


class BackupCodeDevice(ThrottlingMixin, Device):
    """Ten single-use backup codes, stored as keyed digests."""

    class Meta(Device.Meta):
        verbose_name = _("backup codes")

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        from accounts.otp import backup_code_verify

        return backup_code_verify(device=self, token=str(token))


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "code_digest"], name="backup_code_unique")]

    def __str__(self) -> str:
        return f"backup code of device {self.device_id}"


class ApiToken(models.Model):
    """A bearer token for the API, for a person or a service account, acting for one membership.

    Only the SHA-256 of the secret is stored. The secret has 256 bits of entropy, so a fast hash is
    as safe as a slow password hash here and checking a token costs microseconds.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Write")
        DECONFLICTION = "deconfliction", _("Deconfliction")

    MAX_DAYS = 90

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    membership = models.ForeignKey("partners.Membership", on_delete=models.CASCADE, related_name="api_tokens")
    scopes = models.CharField(_("scopes"), max_length=40, help_text=_("Space-separated: read write deconfliction"))
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text=_("The first characters, to recognise a token."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
