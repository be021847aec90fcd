"""gunicorn's logger with the INSZ masked: ``logger_class`` of every web server FLA starts.

gunicorn writes its own access log (the request line, path, query string, referer)
and error log ("Error handling request /api/v1/.../workers/<insz>"), outside
Django's logging and so outside its ``MaskInszFilter``. The API puts the INSZ in
paths and query strings, so both gunicorn loggers get the same filter: the line is
masked once formatted, whatever atoms ``access_log_format`` uses.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from fla.core.logging import MaskInszFilter


class MaskingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        # setup() runs again on a configuration reload (HUP): add the filter once.
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, MaskInszFilter) for f in log.filters):
                log.addFilter(MaskInszFilter())
