"""What ``candor serve`` logs about requests: never a secret from a URL.

Status-page links carry their token in the query (``/status/subscribe/confirm?token=…``,
``/status/unsubscribe?token=…``): whoever reads the access log could confirm or cancel
someone else's subscription. :class:`RedactTokens` replaces the value of every query
parameter whose name ends in ``token`` (and ``secret``, ``password``, ``key``) with
``[redacted]`` in uvicorn's access log (``candor serve`` puts it on the ``uvicorn.access``
logger; the access log is on with ``[server] scheduler_logs``).
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactTokens", "redact"]

_SECRET_PARAM = re.compile(r"([?&][^=&#]*(?:token|secret|password|key)=)[^&#]*", re.IGNORECASE)


def redact(path: str) -> str:
    """``path`` (with its query) with secret-looking parameter values replaced."""
    return _SECRET_PARAM.sub(r"\1[redacted]", path) if "?" in path else path


class RedactTokens(logging.Filter):
    """For uvicorn's access records: ``args`` is (client, method, path?query, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact(args[2]), args[3], args[4])
        return True
