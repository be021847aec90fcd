"""Lists that paginate, sort and export to CSV and XLSX, at a constant number of queries.

A ``Table`` names its columns once; the HTML page, the CSV file and the XLSX sheet
are all built from the same columns, so an export always matches what is shown.

Hours are exported as decimal numbers: numeric cells in the XLSX sheet; in the CSV file,
whose cells are separated by ";" as a spreadsheet set to Belgian (Dutch, French or
German) conventions expects, with the decimal mark of the user's language ("7,5" in
Dutch, French and German, "7.5" in English), so that such a spreadsheet reads them as
numbers rather than as text or dates.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext, override

from fla.web.formatting import hours

PAGE_SIZE = 25
EXPORT_FORMATS = ("csv", "xlsx")


@dataclass
class Column:
    key: str
    label: str
    value: Callable[[Any], Any]
    order_by: tuple[str, ...] = ()  # empty: not sortable
    numeric: bool = False
    minutes: bool = False  # shown as h:mm, exported as decimal hours

    @property
    def sortable(self) -> bool:
        return bool(self.order_by)


def minutes_column(key: str, label: str, field_name: str) -> Column:
    """A sortable column of minutes (h:mm on screen, hours in exports) read from a field."""
    return Column(
        key,
        label,
        lambda row: getattr(row, field_name),
        (field_name,),
        numeric=True,
        minutes=True,
    )


@dataclass
class Table:
    columns: list[Column]
    default_sort: str
    rows_per_page: int = PAGE_SIZE
    detail_url: Callable[[Any], str] | None = None
    # Filled by ``bind``:
    sort: str = ""
    page: Any = None
    query: dict[str, str] = field(default_factory=dict)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def ordered(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        sort = request.GET.get("sort", self.default_sort)
        key = sort.lstrip("-")
        column = self.column(key)
        if column is None or not column.sortable:
            sort, key = self.default_sort, self.default_sort.lstrip("-")
            column = self.column(key)
        self.sort = sort
        descending = sort.startswith("-")
        fields = [("-" + f if descending else f) for f in column.order_by]
        # A unique last key keeps the order stable from page to page.
        return queryset.order_by(*fields, "pk")

    def bind(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        keep: Iterable[str] = (),
        count: int | None = None,
    ) -> Table:
        """Sort and paginate. ``count``: the number of rows when the caller already
        counted them in this request (saves the paginator's COUNT query)."""
        queryset = self.ordered(request, queryset)
        paginator = Paginator(queryset, self.rows_per_page)
        if count is not None:
            paginator.count = count  # a cached_property: this value is used as it is
        self.page = paginator.get_page(request.GET.get("page"))
        self.query = {k: request.GET[k] for k in keep if request.GET.get(k)}
        return self

    def rows(self):
        for obj in self.page.object_list:
            yield obj, [(c, c.value(obj)) for c in self.columns]

    def body_html(self) -> SafeString:
        """The rows of the current page as ``<tr>`` elements.

        Built here rather than by a template loop: the same markup as a loop over
        ``rows()`` would give (every value escaped, numbers and dates localised), at a
        fraction of the cost of resolving each cell's variables in the template engine.
        """
        detail = conditional_escape(gettext("Detail"))
        out = []
        for obj, cells in self.rows():
            tds = []
            for column, value in cells:
                if column.numeric:
                    negative = column.minutes and isinstance(value, int | float) and value < 0
                    tds.append('<td class="num negative">' if negative else '<td class="num">')
                else:
                    tds.append("<td>")
                tds.append(_cell_text(column, value))
                tds.append("</td>")
            label = " " + _text(cells[0][1]) if cells else " "
            if len(cells) > 1:
                label += " " + _text(cells[1][1])
            url = conditional_escape(self.detail_url(obj)) if self.detail_url else ""
            tds.append(
                f'<td><a class="button button-small" href="{url}">{detail}'
                f'<span class="visually-hidden">{label}</span></a></td>'
            )
            out.append("<tr>" + "".join(tds) + "</tr>")
        return mark_safe("\n".join(out))  # noqa: S308 (every part escaped above)

    # --- export -----------------------------------------------------------------------
    def export_value(self, column: Column, obj: Any) -> Any:
        value = column.value(obj)
        if column.minutes and value is not None:
            return round(value / 60, 2)
        return value

    def export(self, fmt: str, queryset: QuerySet, filename: str) -> HttpResponse:
        unit = gettext("uren")
        header = [str(c.label) + (f" ({unit})" if c.minutes else "") for c in self.columns]
        # The CSV file is written while it is sent, after the view returned: in the
        # language of the request, whatever the thread's language is by then.
        language = get_language()

        def records():
            with override(language):
                for obj in queryset.iterator(chunk_size=2000):
                    yield [self.export_value(c, obj) for c in self.columns]

        if fmt == "xlsx":
            return _xlsx_response(header, records(), filename)
        decimal_mark = formats.get_format("DECIMAL_SEPARATOR")
        return _csv_response(header, records(), filename, decimal_mark)


def _text(value: Any) -> str:
    """``{{ value }}`` in a template: in local time, localised, then escaped."""
    return conditional_escape(formats.localize(template_localtime(value)))


def _cell_text(column: Column, value: Any) -> str:
    """A cell as ``_table.html`` wrote it: h:mm, a date as d/m/Y, or the value."""
    if column.minutes:
        return conditional_escape(hours(value))
    if isinstance(value, dt.date):  # a datetime too: in local time first, as |date does
        day = template_localtime(value)
        return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    if hasattr(value, "isoformat"):
        return conditional_escape(formats.date_format(template_localtime(value), "d/m/Y"))
    return _text(value)


_ID = 918273645546372819  # stands for the id in a reversed URL


def id_url(name: str, key: Callable[[Any], int]) -> Callable[[Any], str]:
    """A row's detail URL: the route ``name`` with the row's id (``key(row)``).

    Reversed once, at the first row (a table lives for one request), then the id is put
    in place: the same URL as ``reverse(name, args=[key(row)])`` for every row.
    """
    parts: list[str] = []

    def url(row: Any) -> str:
        if not parts:
            parts.extend(reverse(name, args=[_ID]).split(str(_ID), 1))
        return f"{parts[0]}{int(key(row))}{parts[1]}"

    return url


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_text(value: Any, decimal_mark: str = ".") -> str:
    if isinstance(value, float | Decimal):
        # A number as the spreadsheet of the user's language reads one.
        return str(value).replace(".", decimal_mark)
    text = "" if value is None else str(value)
    # Keep spreadsheet programs from running a cell as a formula.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_response(header, records, filename: str, decimal_mark: str = ".") -> StreamingHttpResponse:
    writer = csv.writer(_Echo(), delimiter=";")

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for record in records:
            yield writer.writerow([_csv_text(v, decimal_mark) for v in record])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx_response(header, records, filename: str) -> HttpResponse:
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=filename[:31])
    sheet.append(header)
    for record in records:
        sheet.append([_xlsx_value(v) for v in record])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, int | float | dt.date):
        return value
    text = str(value)
    if text[:1] == "=":
        text = "'" + text
    return text
