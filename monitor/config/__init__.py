"""Configuration: one typed ``Settings`` object, loaded from ``config.toml``.

``types`` holds the value types (``Duration``, ``Secret``, ``Section``); ``schema`` the
``Settings`` and the core sections; one module per domain section beside them; ``loader``
reads a file into ``Settings`` with ``FILE:LINE: key: message`` errors.
"""

from monitor.config.loader import load, parse
from monitor.config.schema import Settings
from monitor.config.types import SecretRef

__all__ = ["SecretRef", "Settings", "load", "parse"]
