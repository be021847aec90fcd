"""Log records with the request id, written as one JSON object a line."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging

from fla.core.logging import mask_text

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id``: the id of the request being served, or "-".

    Django logs a 4xx or 5xx answer ("Not Found: …", logger ``django.request``) after the
    middleware has answered, when no request is being served any more; such a record
    carries the request, whose id is taken then."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current == "-":
            current = getattr(getattr(record, "request", None), "request_id", None) or "-"
        record.request_id = current
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, the exception, and any ``extra`` fields.

    Runs after the handler's filters, so the message is already INSZ-masked; extra
    fields and tracebacks are masked here.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "process": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                if isinstance(value, int | float | bool):
                    entry[key] = value
                else:
                    entry[key] = mask_text(value if isinstance(value, str) else str(value))
        if record.exc_info:
            entry["exception"] = mask_text(record.exc_text or self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)
