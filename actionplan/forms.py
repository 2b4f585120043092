from django import forms
from django.utils.translation import gettext_lazy as _

from actionplan.models import MeasureStatus


class ProgressForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.IntegerField(label=_("Quarter"), min_value=1, max_value=4)
    status = forms.ChoiceField(label=_("Status"), choices=MeasureStatus.choices)
    percent_done = forms.IntegerField(label=_("Percent done"), min_value=0, max_value=100)
    narrative = forms.CharField(
        label=_("What happened this quarter"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Aggregate progress only; never details of a case."),
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)


class IndicatorValueForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.IntegerField(
        label=_("Quarter (empty for the whole year)"), required=False, min_value=1, max_value=4
    )
    value = forms.FloatField(label=_("Value"), min_value=0)
