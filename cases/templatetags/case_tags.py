"""Template tags for case pages.

``case_rows`` renders the case list's table body in Python. The list is the page people open
most, and Django's template engine spent about half of its server time on these 50 rows (two
``{% url %}`` and an ``{% include %}`` per row, each value looked up through the template
context): issue 10's benchmark. Every value from the database is HTML-escaped.
"""

import uuid
from html import escape as _escape

from django import template
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone

from cases.constants import CaseStatus, CrimeType

register = template.Library()

_PLACEHOLDER = uuid.UUID(int=0)


@register.simple_tag
def tlp_badge(tlp: str) -> SafeString:
    """The TLP label with its colour; the text is always there, colour is never the only cue."""
    return format_html('<span class="tlp tlp-{}">TLP:{}</span>', tlp.lower().replace("+", ""), tlp)


def _labels(choices) -> dict[str, str]:
    # In the active language, escaped once per list rather than once per row.
    return {value: _escape(str(label)) for value, label in choices.choices}


@register.simple_tag
def case_rows(cases) -> SafeString:
    """One ``<tr>`` per case: reference and title linking to the case, crime type, status,
    TLP, lead organisation and the date it was opened (in the reader's time zone and format).

    Values are escaped with the standard library's ``html.escape``, which is what Django's
    ``escape`` calls, without its check for lazy strings on every call (the values here are
    plain strings from the database; 250 calls per page)."""
    # The detail URL is reversed once and the UUID substituted: the URLconf still decides it.
    detail = reverse("cases:detail", args=[_PLACEHOLDER])
    placeholder = str(_PLACEHOLDER)
    crime_types, statuses = _labels(CrimeType), _labels(CaseStatus)
    badges: dict[str, str] = {}
    zone = get_current_timezone()
    date_pattern, dates = get_format("SHORT_DATE_FORMAT"), {}
    leads: dict[int, str] = {}
    rows = []
    for case in cases:
        href = _escape(detail.replace(placeholder, str(case.uuid)))
        badge = badges.get(case.tlp) or badges.setdefault(case.tlp, tlp_badge(case.tlp))
        day = case.opened_at.astimezone(zone).date()
        opened = dates.get(day) or dates.setdefault(day, _escape(format_date(day, date_pattern)))
        lead = case.lead_organisation
        code = leads.get(lead.pk) or leads.setdefault(lead.pk, _escape(lead.short_code))
        rows.append(
            f'<tr><td class="nowrap"><a href="{href}">{_escape(case.reference)}</a></td>'
            f'<td><a href="{href}">{_escape(case.title)}</a></td>'
            f"<td>{crime_types.get(case.crime_type) or _escape(case.crime_type)}</td>"
            f"<td>{statuses.get(case.status) or _escape(case.status)}</td>"
            f"<td>{badge}</td><td>{code}</td>"
            f"<td>{opened}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped
