"""Template helpers of the online application."""

from __future__ import annotations

import math
import re
from urllib.parse import urlencode

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fla.web import formatting

register = template.Library()


@register.filter
def hm(minutes):
    """Minutes as h:mm."""
    return formatting.hours(minutes)


@register.filter
def enterprise_number(number):
    """An enterprise number as it is written (0403.170.701); anything else as it is."""
    from fla.core.identifiers import format_enterprise_number

    return format_enterprise_number(str(number or ""))


@register.simple_tag(takes_context=True)
def query(context, **changes):
    """The current query string with some keys changed (None removes a key)."""
    params = dict(context["request"].GET.items())
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(params) if params else "?"


@register.simple_tag(takes_context=True)
def sort_link(context, table, column, anchor=""):
    """A column heading that sorts, with aria-sort for screen readers; ``anchor``: where
    on the page the sorted list opens (a list below others is not left for the top)."""
    current = table.sort
    key = column.key
    if current == key:
        new, state, arrow = "-" + key, "ascending", " ▲"
    elif current == "-" + key:
        new, state, arrow = key, "descending", " ▼"
    else:
        new, state, arrow = key, "none", ""
    href = query(context, sort=new, page=None) + (f"#{anchor}" if anchor else "")
    return format_html(
        '<a href="{}" class="sort" data-sort-state="{}">{}<span aria-hidden="true">{}</span></a>',
        href,
        state,
        column.label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def aria_sort(context, table, column):
    if table.sort == column.key:
        return "ascending"
    if table.sort == "-" + column.key:
        return "descending"
    return "none"


def _point(cx: float, cy: float, r: float, fraction: float) -> tuple[float, float]:
    # 0 is the left end of the half circle, 1 the right end.
    angle = math.pi * (1 - fraction)
    return cx + r * math.cos(angle), cy - r * math.sin(angle)


@register.simple_tag
def gauge(remaining: int, used: int):
    """A half-circle gauge: the used share of the credit against what remains.

    Drawn as SVG on the server, so it needs no script and has a text alternative.
    """
    remaining = int(remaining or 0)
    used = int(used or 0)
    total = max(remaining, 0) + used
    fraction = (used / total) if total else 0.0
    fraction = min(max(fraction, 0.0), 1.0)
    cx, cy, r = 100.0, 100.0, 80.0
    x0, y0 = _point(cx, cy, r, 0)
    x1, y1 = _point(cx, cy, r, 1)
    track = f"M {x0:.1f} {y0:.1f} A {r} {r} 0 0 1 {x1:.1f} {y1:.1f}"
    parts = [f'<path d="{track}" class="gauge-track" fill="none" stroke-width="22"/>']
    if fraction > 0:
        xe, ye = _point(cx, cy, r, fraction)
        used_path = f"M {x0:.1f} {y0:.1f} A {r} {r} 0 0 1 {xe:.1f} {ye:.1f}"
        parts.append(f'<path d="{used_path}" class="gauge-used" fill="none" stroke-width="22"/>')
    label = _("Resterend krediet %(remaining)s uur, gebruikt %(used)s uur") % {
        "remaining": formatting.hours(remaining),
        "used": formatting.hours(used),
    }
    return format_html(
        '<figure class="gauge" data-testid="gauge">'
        '<svg viewBox="0 0 200 118" role="img" aria-label="{}">{}'
        '<text x="100" y="88" text-anchor="middle" class="gauge-value">{}</text>'
        '<text x="100" y="110" text-anchor="middle" class="gauge-caption">{}</text>'
        "</svg>"
        '<figcaption><span class="legend legend-remaining">{}{} {}</span> '
        '<span class="legend legend-used">{}{} {}</span></figcaption></figure>',
        label,
        _safe("".join(parts)),
        formatting.hours(remaining),
        _("uur resterend"),
        _("Resterend"),
        _(":"),
        formatting.hours(remaining),
        _("Gebruikt"),
        _(":"),
        formatting.hours(used),
    )


def _safe(markup: str):
    from django.utils.safestring import mark_safe

    # Built above from numbers only, never from user input.
    return mark_safe(markup)  # noqa: S308


@register.simple_tag
def table_body(table):
    """The ``<tr>`` rows of a bound ``Table`` (empty when the page has none)."""
    return table.body_html()


@register.filter
def detail_url(obj, table):
    return table.detail_url(obj)


# A parenthesis that only gives a value of the finding, and any other value's place.
_VALUE_ASIDE = re.compile(r"\s*\([^()]*\{\w+\}[^()]*\)")
_VALUE = re.compile(r"\{\w+\}")


def _catalogue_text(code) -> str:
    """The catalogue's text of an anomaly code in the user's language, its values' places
    as they are; "" for a code the catalogue does not know."""
    from fla.declarations.anomalies import CATALOGUE

    anomaly = CATALOGUE.get(str(code))
    if anomaly is None:
        return ""
    return getattr(anomaly, (get_language() or "nl")[:2], None) or anomaly.en


@register.filter
def anomaly_text(code):
    """The catalogue's text of an anomaly code in the user's language, for a code kept
    without the values of the finding (a training's warnings): an aside that only gives
    such a value is left out, any other value is written "…"."""
    return _VALUE.sub("…", _VALUE_ASIDE.sub("", _catalogue_text(code)))


@register.filter
def anomaly_parts(code, name):
    """The catalogue's text of an anomaly in the user's language, as the parts before
    and after the place of its value ``name``, for a page that writes that value itself
    (a link); the whole text, and nothing after it, if the text has no such place."""
    text = _catalogue_text(code)
    before, found, after = text.partition("{" + name + "}")
    return (before, after) if found else (text, "")


@register.filter
def get_item(mapping, key):
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def chart_rows(data):
    """A chart's data (labels and decimal hours, queries.chart_hours) as the rows of the
    table that is its text alternative: (label, minutes)."""
    if not data:
        return []
    return [
        (label, round(hours * 60))
        for label, hours in zip(data.get("labels", []), data.get("total", []), strict=False)
    ]
