from django import forms
from django.utils.translation import gettext_lazy as _

from deconfliction.models import Hit, Operation
from deconfliction.normalisers import PLATFORMS, SelectorKind


class SelectorForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SelectorKind.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=1000,
        help_text=_(
            "As you have it: it is normalised (phone numbers to +31..., addresses to lower case) before matching."
        ),
    )
    qualifier = forms.CharField(
        label=_("Platform, chain or issuing country"),
        required=False,
        max_length=40,
        help_text=_(
            "Handles: the platform (%(platforms)s). Travel documents: the issuing "
            "country (NL or NLD). Wallets: btc or eth (optional)."
        )
        % {"platforms": ", ".join(PLATFORMS[:8]) + ", ..."},
    )
    note = forms.CharField(label=_("Note for your organisation"), required=False, max_length=500)
    reason = forms.CharField(label=_("Reason for registering"), max_length=500)


class HitActionForm(forms.Form):
    note = forms.CharField(
        label=_("Handling note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Seen by both sides. No case details: agree those by phone."),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", "—")] + Hit.Outcome.choices)


class OperationForm(forms.Form):
    title = forms.CharField(label=_("Codename"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Operation.Kind.choices)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    country = forms.CharField(label=_("Country"), max_length=3, help_text=_("ISO code, such as NL or PHL."))
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    radius_m = forms.IntegerField(
        label=_("Radius (metres)"),
        required=False,
        min_value=1,
        max_value=500_000,
        help_text=_("Leave the position empty to deconflict by country only."),
    )


class ConflictResolveForm(forms.Form):
    note = forms.CharField(label=_("What was agreed"), max_length=1000)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "One selector per line: kind,value[,note]. Kinds: "
            "email, phone, handle, ip, url, domain, wallet, "
            "file_hash, device, travel_document. UTF-8, at most "
            "5 MB."
        ),
    )
    reason = forms.CharField(label=_("Reason for registering"), max_length=500)
