from django import forms
from django.utils.translation import gettext_lazy as _

from deconfliction.models import Hit
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
