"""The platform operator's pages: organisations and their first admin. No case access here."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.services import invitation_create
from audit.services import audit_denied
from partners.forms import OrganisationForm
from partners.roles import Role
from partners.selectors import organisations_all
from partners.services import organisation_create


def operator_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_platform_operator:
            audit_denied(request, action="operator.access")
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@operator_required
@require_http_methods(["GET", "POST"])
def organisations_view(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        admin_email, admin_name = data.pop("admin_email"), data.pop("admin_name")
        try:
            # One transaction: an organisation never exists without its first admin's invitation.
            with transaction.atomic():
                organisation = organisation_create(**data, created_by=request.user, request=request)
                invitation_create(
                    email=admin_email,
                    full_name=admin_name,
                    organisation=organisation,
                    role=Role.ORG_ADMIN,
                    by=request.user,
                    request=request,
                )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                form.add_error(field if field in form.fields else None, errors)
        except IntegrityError:
            form.add_error(None, _("An organisation with this name or short code already exists."))
        else:
            messages.success(
                request,
                _("%(org)s created; the invitation went to %(email)s.") % {"org": organisation, "email": admin_email},
            )
            return redirect("partners:organisations")
    return render(
        request,
        "partners/organisations.html",
        {"form": form, "organisations": organisations_all()},
        status=400 if form.errors else 200,
    )
