"""API tokens: creating, revoking and authenticating them (Django REST framework)."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions, throttling

from accounts.models import ApiToken, User
from audit.services import Result, audit_record
from partners.models import Membership
from partners.roles import Capability, role_can
from portal.utils.crypto import sha256_hex

LAST_USED_PRECISION = timedelta(minutes=1)
TOKEN_PREFIX = "ccp_"  # noqa: S105 - a public prefix that makes leaked tokens recognisable


@transaction.atomic
def api_token_create(
    *, by: User, membership: Membership, name: str, scopes: list[str], days: int, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``membership`` (the creator's own, or a service account of the creator's
    organisation when the creator is its admin). Returns the token and its secret, shown once."""
    if membership.user_id != by.pk:
        own = Membership.objects.filter(user=by, organisation=membership.organisation, active=True).first()
        if not (membership.user.is_service_account and own and role_can(own.role, Capability.MANAGE_MEMBERS)):
            raise PermissionDenied(_("You can create tokens for yourself or your organisation's service accounts."))
    if not membership.active:
        raise ValidationError(_("That membership has ended."))
    unknown = set(scopes) - set(ApiToken.Scope.values)
    if not scopes or unknown:
        raise ValidationError({"scopes": _("Choose one or more of: read, write, deconfliction.")})
    if not 1 <= days <= ApiToken.MAX_DAYS:
        raise ValidationError({"days": _("A token lives 1 to %(n)s days.") % {"n": ApiToken.MAX_DAYS}})
    if not name.strip():
        raise ValidationError({"name": _("Name the token after the system that uses it.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name.strip()[:100],
        user=membership.user,
        membership=membership,
        scopes=" ".join(sorted(set(scopes))),
        token_hash=sha256_hex(secret),
        prefix=secret[len(TOKEN_PREFIX) :][:8],
        created_by=by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        action="api_token.create",
        request=request,
        actor=by,
        organisation=membership.organisation,
        obj=token,
        details={"for": str(membership.user.uuid), "scopes": token.scopes, "days": days},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, by: User, token: ApiToken, request: HttpRequest | None = None) -> None:
    own = Membership.objects.filter(user=by, organisation=token.membership.organisation_id, active=True).first()
    if token.user_id != by.pk and not (own and role_can(own.role, Capability.MANAGE_MEMBERS)):
        raise PermissionDenied
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(action="api_token.revoke", request=request, actor=by, obj=token)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``. Each use is audited; the token acts for its membership
    (the organisation the token was made for), which the views read as request.membership."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(f"{self.keyword} "):
            return None
        secret = header[len(self.keyword) + 1 :].strip()
        token = (
            (
                ApiToken.objects.select_related("user", "membership__organisation")
                .filter(token_hash=sha256_hex(secret))
                .first()
            )
            if secret
            else None
        )
        if token is None or not self._usable(token):
            audit_record(
                action="api_token.use",
                result=Result.DENIED,
                request=request._request,
                durable=True,
                details={"prefix": secret[len(TOKEN_PREFIX) :][:8], "path": request.path[:200]},
            )
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        now = timezone.now()
        # "Last used" is shown to the people who manage tokens; to the minute is enough, and a
        # partner system calling many times a second should not write the row each time.
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        request._request.membership = token.membership
        audit_record(
            action="api_token.use",
            request=request._request,
            actor=token.user,
            organisation=token.membership.organisation,
            obj=token,
            details={"method": request.method, "path": request.path[:200]},
            # On a read the event waits for the gateway's case.view and shares its commit and
            # chain lock (both events are this actor's, on one chain); a change writes it now,
            # before the change can happen.
            defer=request.method in permissions.SAFE_METHODS,
        )
        return token.user, token

    @staticmethod
    def _usable(token: ApiToken) -> bool:
        return (
            token.is_live
            and token.user.is_active
            and token.user.locked_at is None
            and token.membership.active
            and token.membership.organisation.active
        )

    def authenticate_header(self, request):
        return self.keyword


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The browser session, only once its second factor is verified (else the API answers 401)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None or not result[0].is_verified():
            return None
        return result

    def authenticate_header(self, request):
        return "Session"


def token_scopes(request) -> frozenset[str] | None:
    """The scopes of the token behind the request; None for a browser session (all scopes)."""
    return request.auth.scope_set if isinstance(request.auth, ApiToken) else None


class ScopePermission(permissions.BasePermission):
    """Read tokens read, write tokens change; deconfliction endpoints need the deconfliction
    scope (set ``required_scope = "deconfliction"`` on the view)."""

    message = _("This token's scope does not allow this.")

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(request, "membership", None) is None:
            return False
        scopes = token_scopes(request)
        if scopes is None:
            return True
        needed = getattr(view, "required_scope", None)
        if needed:
            return needed in scopes
        return ("read" if request.method in permissions.SAFE_METHODS else "write") in scopes


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Per token (per user for browser sessions); 429 with Retry-After when exceeded."""

    scope = "api"

    def get_rate(self):
        return settings.API_RATE  # read at request time, so it can be configured (and tested)

    def get_cache_key(self, request, view):
        ident = f"token:{request.auth.uuid}" if isinstance(request.auth, ApiToken) else f"user:{request.user.uuid}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
