from functools import lru_cache

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cases.constants import TLP, AccessLevel, CaseStatus, CrimeType, LegalBasis
from cases.models import Case
from portal.widgets import PlainSelect


def _organisation_choices() -> list[tuple[str, str]]:
    from partners.selectors import organisation_choices  # partners imports cases: import late

    return organisation_choices()


@lru_cache(maxsize=4)
def _organisation_options(choices: tuple[tuple[str, str], ...]) -> str:
    return format_html_join("", '<option value="{}">{}</option>', choices)


class OrganisationSelect(forms.Select):
    """The lead filter lists every active organisation: thousands at European scale. Django's
    Select renders one template per option (about 0.1 ms each, most of the list page's time in
    issue 10's benchmark); this one renders the options once per list of organisations and
    marks the chosen one."""

    def render(self, name, value, attrs=None, renderer=None):
        options = _organisation_options(tuple(_organisation_choices()))
        if value:
            chosen = format_html('<option value="{}">', value)
            options = options.replace(chosen, chosen[:-1] + " selected>", 1)
        return format_html(
            '<select{}><option value="">{}</option>{}</select>',
            flatatt(self.build_attrs(self.attrs, attrs) | {"name": name}),
            _("Any"),
            mark_safe(options),  # noqa: S308 - built by format_html_join above
        )


class CaseFilterForm(forms.Form):
    text = forms.CharField(label=_("Reference or title"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + CaseStatus.choices, widget=PlainSelect
    )
    crime_type = forms.ChoiceField(
        label=_("Crime type"), required=False, choices=[("", _("Any"))] + CrimeType.choices, widget=PlainSelect
    )
    tlp = forms.ChoiceField(label=_("TLP"), required=False, choices=[("", _("Any"))] + TLP.choices, widget=PlainSelect)
    country = forms.RegexField(
        label=_("Country"),
        required=False,
        regex=r"^[A-Za-z]{2}$",
        max_length=2,
        error_messages={"invalid": _("Use a two-letter country code, such as PH.")},
    )
    # A UUID checked against the cached organisations, not a ChoiceField: Django normalises a
    # field's choices several times per form, which for thousands of organisations cost more
    # than the rest of the page.
    lead = forms.UUIDField(label=_("Lead organisation"), required=False, widget=OrganisationSelect)
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)

    def clean_lead(self):
        lead = self.cleaned_data["lead"]
        if lead and str(lead) not in {uuid for uuid, _name in _organisation_choices()}:
            raise forms.ValidationError(_("Choose an organisation from the list."))
        return str(lead) if lead else ""

    def filters(self):
        """The selector's filters; an invalid form filters nothing (its errors are shown)."""
        from cases.selectors import CaseFilters

        if not self.is_valid():
            return CaseFilters()
        data = self.cleaned_data
        return CaseFilters(
            status=data["status"],
            crime_type=data["crime_type"],
            tlp=data["tlp"],
            country=data["country"],
            lead=data["lead"],
            text=data["text"].strip(),
        )


class CaseCreateForm(forms.Form):
    title = forms.CharField(
        label=_("Codename / title"),
        max_length=200,
        help_text=_("Never a victim's or suspect's name, nor anything that identifies them."),
    )
    crime_type = forms.ChoiceField(label=_("Crime type"), choices=CrimeType.choices)
    tlp = forms.ChoiceField(
        label=_("TLP"),
        choices=TLP.choices,
        initial=TLP.AMBER,
        help_text=_(
            "RED: named people only. AMBER+STRICT: your organisation only. "
            "AMBER: need-to-know in the organisations you share with."
        ),
    )
    countries = forms.CharField(
        label=_("Countries involved"),
        required=False,
        max_length=400,
        help_text=_("ISO codes separated by spaces, e.g. NL PH."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Coordination metadata only: no imagery, no victim identities."),
    )


class CaseEditForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = [
            "title",
            "summary",
            "crime_type",
            "status",
            "countries",
            "victims_identified",
            "victims_safeguarded",
            "suspects_identified",
            "suspects_arrested",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 5})}


class TLPForm(forms.Form):
    tlp = forms.ChoiceField(label=_("New TLP"), choices=TLP.choices)


class ShareForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None, required=False, to_field_name="uuid")
    membership = forms.ModelChoiceField(
        label=_("Or a named person"), queryset=None, required=False, to_field_name="uuid"
    )
    level = forms.ChoiceField(label=_("Access"), choices=AccessLevel.choices, initial=AccessLevel.VIEW)
    reason = forms.CharField(label=_("Reason"), max_length=500)
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"),
        required=False,
        choices=[("", "—")] + LegalBasis.choices,
        help_text=_("Required for foreign police, international bodies and industry."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, organisations, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["membership"].queryset = memberships
        self.fields["membership"].label_from_instance = lambda m: f"{m.user.full_name} — {m.organisation.name}"

    def clean(self):
        data = super().clean()
        if bool(data.get("organisation")) == bool(data.get("membership")):
            raise forms.ValidationError(_("Choose either an organisation or a named person."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class HandoverForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("New lead organisation"), queryset=None, to_field_name="uuid")
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))


class MilestoneAddForm(forms.Form):
    kind = forms.ChoiceField(label=_("Milestone"), choices=[])
    owner_organisation = forms.ModelChoiceField(label=_("Owner"), queryset=None, to_field_name="uuid")
    due_date = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args, organisations, **kwargs):
        from cases.models import MilestoneKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = MilestoneKind.choices
        self.fields["owner_organisation"].queryset = organisations


class MilestoneUpdateForm(forms.Form):
    due_date = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    done_date = forms.DateField(label=_("Done on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    assigned_organisation = forms.ModelChoiceField(
        label=_("Assign to organisation"), queryset=None, to_field_name="uuid"
    )
    assignee = forms.ModelChoiceField(
        label=_("Or a person in it (optional)"), required=False, queryset=None, to_field_name="uuid"
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=[])
    due_date = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organisations, **kwargs):
        from cases.models import Task
        from partners.models import Membership

        super().__init__(*args, **kwargs)
        self.fields["assigned_organisation"].queryset = organisations
        self.fields["assignee"].queryset = (
            Membership.objects.filter(organisation__in=organisations, active=True, user__is_service_account=False)
            .select_related("user", "organisation")
            .order_by("organisation__name", "user__full_name")
        )
        self.fields["assignee"].label_from_instance = lambda m: f"{m.user.full_name} — {m.organisation.short_code}"
        self.fields["priority"].choices = Task.Priority.choices
        self.fields["priority"].initial = Task.Priority.NORMAL


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=[])
    reason = forms.CharField(label=_("Reason (when declining)"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        from cases.models import Task

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = Task.Status.choices
