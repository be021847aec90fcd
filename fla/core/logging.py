"""A logging filter that masks every INSZ-like number before it is written."""

from __future__ import annotations

import logging
import re

# 11 digits, compact or in the dotted form 85.07.30-033.28, not part of a longer number.
_INSZ = re.compile(r"(?<!\d)(\d{2})[.]?(\d{2})[.]?(\d{2})[-.]?\d{3}[.]?\d{2}(?!\d)")


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
