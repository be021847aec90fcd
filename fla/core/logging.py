"""A logging filter that masks every INSZ-like number before it is written."""

from __future__ import annotations

import logging
import re

# 11 digits, compact or written with separators (85.07.30-033.28, 850730-033-28,
# 85 07 30 033 28), not part of a longer number. The API accepts every form the INSZ
# check does, so URLs in access logs hold them too, also percent-encoded (``%2E``,
# ``%2D``, ``%20``) or with ``+`` for a space in a query string; an encoded character
# just before the number (``insz=%2085073003328``) does not make it "part of a longer
# number". A 10-digit enterprise number (0403170701, 0403.170.701) never matches.
_SEP = r"(?:[ .+-]|%2[EeDd0])?"
_INSZ = re.compile(
    r"(?:(?<!\d)|(?<=%[0-9A-Fa-f]{2}))"
    rf"(\d{{2}}){_SEP}(\d{{2}}){_SEP}(\d{{2}}){_SEP}\d{{3}}{_SEP}\d{{2}}(?!\d)"
)


def mask_text(text: str) -> str:
    return _INSZ.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}*****", text)


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
