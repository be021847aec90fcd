"""A logging filter that masks every INSZ-like number before it is written."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

from fla.core.identifiers import checked_insz

# 11 digits not part of a longer word (no letter or digit right before or after them),
# compact or written with separators between
# any of them: the API accepts every form the INSZ check does (python-stdnum strips
# spaces, dots and dashes, Unicode dashes and spaces included, and reads full-width
# digits), so log lines hold them too: 85.07.30-033.28, 850.730.033.28, 850730–03328,
# ``+`` for a space in a query string; and as a person may write it anyway, with
# underscores, or as a log escapes what it holds (``\t``, ``\x09``, ``\u2013``).
# Any run of separators may stand between two digits (matched possessively: no
# backtracking). A 10-digit enterprise number (0403170701, 0403.170.701) never matches.
# Percent-encoded forms (``%2E``, ``%E2%80%93``, full-width digits) are found in a
# decoded copy of the line, which is then written decoded and masked.
# An escape stands in the copy the number is looked for in as that many of this character
# (a separator): the copy keeps the line's length, so what is found there is masked
# at the same place in the line, and no digit of an escape is read as the number's.
_HIDDEN = "\ue000"
_ESCAPE = re.compile(r"\\(?:[tnrvf]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})")
_SEP = f"[\\s.+_\\-\u2010-\u2015\u2212{_HIDDEN}]*+"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ALPHANUMERIC = r"[^\W_]"  # a letter or a digit, in any script
_INSZ = re.compile(rf"(?<!{_ALPHANUMERIC})\d(?:{_SEP}\d){{10}}(?!{_ALPHANUMERIC})")
# Eleven digits glued to letters (a reference such as ``W85073003328`` or
# ``insz85073003328x``) are an INSZ too where their check digits and birth date make a
# valid one; other runs glued to letters (``ab12345678901``, the digits of a hex task
# id) are part of an id and stay readable. So do the digits of a UUID, or of a hex id
# of 32, 40 or 64 characters (task ids, digests), even where they happen to check.
_GLUED = re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{10}}(?!\d)")
_HEX = "[0-9a-fA-F]"
_ID = re.compile(
    rf"(?<!{_ALPHANUMERIC})(?:{_HEX}{{8}}(?:-{_HEX}{{4}}){{3}}-{_HEX}{{12}}"
    rf"|{_HEX}{{64}}|{_HEX}{{40}}|{_HEX}{{32}})(?!{_ALPHANUMERIC})"
)


def _digits(found: str) -> str:
    return "".join(str(int(c)) for c in found if c.isdigit())


def _masked(found: str) -> str:
    return _digits(found)[:6] + "*****"


def _spans(copy: str) -> list[tuple[int, int]]:
    """Where ``copy`` holds an INSZ: every free-standing run of 11 digits, and every
    run glued to letters that is a valid INSZ outside a UUID or hex id."""
    spans = [match.span() for match in _INSZ.finditer(copy)]
    ids = None
    for match in _GLUED.finditer(copy):
        start, end = match.span()
        if any(s < end and start < e for s, e in spans):
            continue
        if checked_insz(_digits(match.group(0))) is None:
            continue
        if ids is None:
            ids = [found.span() for found in _ID.finditer(copy)]
        if not any(s < end and start < e for s, e in ids):
            spans.append((start, end))
    return sorted(spans)


def _mask(text: str) -> str:
    copy = _ESCAPE.sub(lambda match: _HIDDEN * len(match.group(0)), text) if "\\" in text else text
    parts, last = [], 0
    for start, end in _spans(copy):
        parts += [text[last:start], _masked(copy[start:end])]
        last = end
    return "".join(parts) + text[last:]


def mask_text(text: str) -> str:
    masked = _mask(text)
    if "%" in masked:
        decoded = unquote(masked)
        if _spans(decoded):
            # Decoded, the line must not gain a line break or another control character
            # (a forged log line): those stay written as they came.
            return _CONTROL.sub(lambda m: quote(m.group(0)), _mask(decoded))
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
