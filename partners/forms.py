from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import OrganisationKind
from partners.roles import Role


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ServiceAccountForm(forms.Form):
    name = forms.CharField(
        label=_("System name"), max_length=150, help_text=_("For example: the case-management system of your unit.")
    )


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    short_code = forms.SlugField(label=_("Short code"), max_length=32)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    country = forms.RegexField(
        label=_("Country (ISO 3166-1 alpha-2)"),
        regex=r"^[A-Za-z]{2}$",
        max_length=2,
        error_messages={"invalid": _("Use a two-letter country code, such as NL.")},
    )
    desk_name = forms.CharField(label=_("Deconfliction desk"), max_length=200)
    desk_phone = forms.CharField(label=_("Desk phone (24/7)"), max_length=40)
    desk_email = forms.EmailField(label=_("Desk email"))
    admin_email = forms.EmailField(label=_("First admin's email"), max_length=254)
    admin_name = forms.CharField(label=_("First admin's full name"), max_length=150)
