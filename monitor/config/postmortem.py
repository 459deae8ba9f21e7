"""The ``[postmortem]`` section of ``config.toml``.

It lives with the other sections, not in the ``postmortem`` package: ``Settings``
validates the whole file at once (every problem with its line, ``candor check-config``),
and ``monitor`` never imports ``postmortem`` (that package builds on ``monitor``).

    [postmortem]
    auto_draft_severities = ["SEV1", "SEV2"]   # drafted when such an incident resolves
    templates_dir = ""                         # your own *.j2 files override the built-in ones
    default_lang = "en"                        # or "pt-BR"
    required_approvals = 1                     # approvals before in_review -> reviewed
    digest_period = "week"                     # week | month | quarter
    pdf_timeline_limit = 5000                  # timeline entries in a PDF (0: all); key moments always
    digest_schedule = "0 8 * * MON"            # cron (UTC, 5 fields) for the scheduled digest; "" = off
    digest_receivers = []                      # [[notify.receivers]] names (webhook or smtp) to send it to
    owner_teams = {}                           # action-item owner -> team, e.g. { "@ana" = "sre" }
    mttr_target = "1h"                         # target line on the digest's restore-time chart; "" = none
"""

from __future__ import annotations

from typing import Annotated, Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator

from monitor.config.types import PositiveDuration, Section
from monitor.durations import parse_duration

Lang = Literal["en", "pt-BR"]
LANGS: tuple[str, ...] = ("en", "pt-BR")
Severity = Annotated[str, Field(pattern=r"^SEV[1-4]$")]


class PostmortemSettings(Section):
    auto_draft_severities: list[Severity] = ["SEV1", "SEV2"]
    templates_dir: str = ""
    default_lang: Lang = "en"
    required_approvals: int = Field(1, ge=1, le=10)
    digest_period: Literal["week", "month", "quarter"] = "week"
    pdf_timeline_limit: int = Field(5000, ge=0, le=1_000_000)
    digest_schedule: str = "0 8 * * MON"
    digest_receivers: list[str] = []
    owner_teams: dict[str, str] = {}
    # The mean time to restore leadership aims for: a target line on the digest's trend
    # chart. None (the key left out or "") draws no line.
    mttr_target: PositiveDuration | None = parse_duration("1h")

    @field_validator("mttr_target", mode="before")
    @classmethod
    def _no_target(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("digest_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if value.strip():
            cron_trigger(value)
        return value


def cron_trigger(expression: str) -> CronTrigger:
    """APScheduler's ``CronTrigger`` (UTC) for a 5-field crontab line; ``ValueError`` says why not."""
    try:
        return CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"{expression!r} is not a cron schedule ({exc}); give five fields "
                         '"minute hour day month weekday" in UTC, e.g. "0 8 * * MON", '
                         'or "" to turn the scheduled digest off') from None
