"""Template tags for case pages.

``case_rows`` renders the case list's table body in Python. The list is the page people open
most, and Django's template engine spent about half of its server time on these 50 rows (two
``{% url %}`` and an ``{% include %}`` per row, each value looked up through the template
context): issue 10's benchmark. Every value is escaped by ``format_html``.
"""

import uuid

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

register = template.Library()

_PLACEHOLDER = uuid.UUID(int=0)


@register.simple_tag
def tlp_badge(tlp: str) -> SafeString:
    """The TLP label with its colour; the text is always there, colour is never the only cue."""
    return format_html('<span class="tlp tlp-{}">TLP:{}</span>', tlp.lower().replace("+", ""), tlp)


@register.simple_tag
def case_rows(cases) -> SafeString:
    """One ``<tr>`` per case: reference and title linking to the case, crime type, status,
    TLP, lead organisation and the date it was opened (in the reader's time zone and format)."""
    # The detail URL is reversed once and the UUID substituted: the URLconf still decides it.
    detail = reverse("cases:detail", args=[_PLACEHOLDER])
    placeholder = str(_PLACEHOLDER)
    return format_html_join(
        "\n",
        '<tr><td class="nowrap"><a href="{}">{}</a></td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                href := detail.replace(placeholder, str(case.uuid)),
                case.reference,
                href,
                case.title,
                case.get_crime_type_display(),
                case.get_status_display(),
                tlp_badge(case.tlp),
                case.lead_organisation.short_code,
                date_format(localtime(case.opened_at), "SHORT_DATE_FORMAT"),
            )
            for case in cases
        ),
    )
