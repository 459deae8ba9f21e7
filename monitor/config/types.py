"""The value types every config section is written in; this module imports no other section.

- ``Duration``: a Prometheus-style string in the file (``"5m"``), a ``timedelta`` once
  loaded (parsed once, by ``monitor.durations``), and the shortest string again when the
  settings are dumped. ``PositiveDuration`` also refuses ``0s``.
- ``Secret``: an ``"env:NAME"`` reference, loaded as a ``SecretRef``; never an inline value.
- ``Section``: the base of every table: unknown keys are errors (with a did-you-mean from
  ``monitor.config.loader``), and loaded settings are frozen.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError

from monitor.durations import format_duration, parse_duration

__all__ = ["Duration", "LabelName", "PositiveDuration", "Secret", "SecretRef", "Section",
           "config_duration"]


def config_duration(text: str) -> timedelta:
    """``parse_duration`` for a config value: every failure is a ``ValueError`` naming the fix."""
    try:
        return parse_duration(text)
    except OverflowError:
        raise ValueError(f"{text!r} is too long (the longest is 999999999d, about 2.7 million "
                         "years)") from None


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    return config_duration(value)


Duration = Annotated[timedelta, PlainValidator(_duration),
                     PlainSerializer(format_duration, return_type=str)]
"""``"5m"`` in the file, ``timedelta(minutes=5)`` in ``Settings``."""


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError(f"{format_duration(value)!r} must be longer than 0s")
    return value


PositiveDuration = Annotated[Duration, AfterValidator(_positive)]


_ENV_REF = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")


class SecretRef(str):
    """An ``env:NAME`` reference. ``reveal()`` reads the variable; ``str()`` never shows it."""

    @property
    def var(self) -> str:
        match = _ENV_REF.match(self)
        assert match
        return match.group(1)

    def reveal(self) -> str | None:
        return os.environ.get(self.var)


def _secret(value: object) -> SecretRef:
    if isinstance(value, SecretRef):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    if not _ENV_REF.match(value):
        raise ValueError(
            "secrets must not be written inline; put the value in an environment "
            "variable and write \"env:NAME\" (e.g. \"env:CANDOR_WEBHOOK_SECRET\")"
        )
    return SecretRef(value)


Secret = Annotated[SecretRef, PlainValidator(_secret), PlainSerializer(str, return_type=str)]
"""``"env:NAME"`` in the file, a ``SecretRef`` in ``Settings``."""

LabelName = Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]


class Section(BaseModel):
    """A config table: unknown keys are errors; loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)
