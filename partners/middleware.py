from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from accounts.middleware import redirect_to_login
from partners.selectors import memberships_for_session
from partners.services import ACTIVE_MEMBERSHIP_SESSION_KEY


class ActiveMembershipMiddleware:
    """Resolve the organisation the user acts for, on every request.

    Re-reading it each time is what makes an ended membership stop access at once. A user
    without any active membership (other than the platform operator) is signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        user = request.user
        if user.is_authenticated and user.is_verified():
            membership, request.active_memberships = memberships_for_session(
                user=user, membership_id=request.session.get(ACTIVE_MEMBERSHIP_SESSION_KEY)
            )
            if membership is None and not user.is_platform_operator:
                logout(request)
                messages.error(request, _("You no longer have an active membership of any organisation."))
                return redirect_to_login(request)
            if membership is not None and request.session.get(ACTIVE_MEMBERSHIP_SESSION_KEY) != membership.pk:
                request.session[ACTIVE_MEMBERSHIP_SESSION_KEY] = membership.pk
            request.membership = membership
        return self.get_response(request)
