"""Configuration: one typed ``Settings`` object, loaded from ``config.toml``."""

from monitor.config.durations import format_duration, parse_duration
from monitor.config.loader import load, parse
from monitor.config.schema import SecretRef, Settings

__all__ = ["SecretRef", "Settings", "format_duration", "load", "parse", "parse_duration"]
