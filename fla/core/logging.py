"""A logging filter that masks every INSZ-like number before it is written."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

# 11 digits not part of a longer number, compact or written with separators between
# any of them: the API accepts every form the INSZ check does (python-stdnum strips
# spaces, dots and dashes, Unicode dashes and spaces included, and reads full-width
# digits), so log lines hold them too: 85.07.30-033.28, 850.730.033.28, 850730–03328,
# ``+`` for a space in a query string; and as a person may write it anyway, with
# underscores, or as a log escapes what it holds (``\t``, ``\x09``, ``\u2013``).
# Any run of separators may stand between two digits (matched possessively: no
# backtracking). A 10-digit enterprise number (0403170701, 0403.170.701) never matches.
# Percent-encoded forms (``%2E``, ``%E2%80%93``, full-width digits) are found in a
# decoded copy of the line, which is then written decoded and masked.
_SEP = (
    "(?:[\\s.+_\\-\u2010-\u2015\u2212]|\\\\[tnrvf]|\\\\x[0-9a-fA-F]{2}|\\\\u[0-9a-fA-F]{4})*+"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_INSZ = re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{10}}(?!\d)")


_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})")


def _masked(match: re.Match) -> str:
    digits = [c for c in _ESCAPE.sub("", match.group(0)) if c.isdigit()]
    return "".join(str(int(c)) for c in digits[:6]) + "*****"


def mask_text(text: str) -> str:
    masked = _INSZ.sub(_masked, text)
    if "%" in masked:
        decoded = unquote(masked)
        if _INSZ.search(decoded):
            # Decoded, the line must not gain a line break or another control character
            # (a forged log line): those stay written as they came.
            return _CONTROL.sub(lambda m: quote(m.group(0)), _INSZ.sub(_masked, decoded))
    return masked


class MaskInszFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not stop logging
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        return True
