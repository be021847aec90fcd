"""gunicorn's logger with the INSZ masked: ``logger_class`` of every web server FLA starts.

gunicorn writes its own access log (the request line, path, query string, referer)
and error log ("Error handling request /api/v1/.../workers/<insz>"), outside
Django's logging and so outside its ``MaskInszFilter``. The API puts the INSZ in
paths and query strings, so both gunicorn loggers get the same filter: the line is
masked once formatted, whatever atoms ``access_log_format`` uses.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger, SafeAtoms

from fla.core.logging import MaskInszFilter

# Query parameters that carry a person's name: the API's worker search (``?name=``) and
# the web history's actor filter (``?who=``). Their values are not written to the log,
# whether the parameter comes first in a bare query string (gunicorn's ``q`` atom) or
# after ``?`` or ``&``, and whatever of its name is percent-encoded (``n%61me``).
_PERSONAL_KEYS = frozenset({"name", "first_name", "last_name", "who"})
_QUERY_PARAMETER = re.compile(r"(^|[?&])([^?&=\s#]+)=([^&\s#]+)")


def _without_names(text: str) -> str:
    def hidden(match: re.Match) -> str:
        if unquote_plus(match.group(2)).lower() in _PERSONAL_KEYS:
            return f"{match.group(1)}{match.group(2)}=***"
        return match.group(0)

    return _QUERY_PARAMETER.sub(hidden, text) if "=" in text else text


class EscapedAtoms(SafeAtoms):
    """The request's own values (request line, path, query string, headers) escaped as
    in a JSON string: gunicorn escapes only the quote, so a backslash or a control
    character in a request made a line of deploy/gunicorn.conf.py's JSON format that
    was not JSON, and let a request write a line break into the log. A person's name in
    a query string (``_PERSONAL_KEYS``) is written ``***``."""

    def __init__(self, atoms):
        # Instead of SafeAtoms' own escaping (of the quote alone), not on top of it.
        dict.__init__(self)
        for key, value in atoms.items():
            if isinstance(value, str):
                value = _without_names(value)
                value = json.dumps(value, ensure_ascii=False)[1:-1]
            self[key] = value


class MaskingLogger(Logger):
    atoms_wrapper_class = EscapedAtoms

    def setup(self, cfg):
        super().setup(cfg)
        # setup() runs again on a configuration reload (HUP): add the filter once.
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, MaskInszFilter) for f in log.filters):
                log.addFilter(MaskInszFilter())
