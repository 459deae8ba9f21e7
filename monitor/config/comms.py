"""``[comms]``: the public side — cadence, channels by impact, status page, linter.

::

    [comms]
    status_title = "EVERLINKS status"
    default_lang = "pt-BR"
    retraction_in_banner = "24h"   # the in-app banner keeps a retraction this long
    [comms.cadence.SEV1]
    first_notice = "10m"     # deadline for the first public notice after detection
    update = "30m"           # and for each update after that
    [[comms.components]]
    name = "Links"           # public name
    services = ["redirect", "shortener"]
    [comms.channels]         # by severity: where notices go
    SEV1 = ["status_page", "banner", "subscribers", "press"]
    [comms.impact]           # by affected-user share (0..1), whatever the severity
    banner_share = 0.05      # a notice about >= 5% of users also goes to the in-app banner
    subscribers_share = 0.10 # ... to subscribers
    press_share = 0.25       # ... and >= 25% adds a press-release draft
    [comms.linter]
    max_sentence_words = { "pt-BR" = 30, en = 25 }
    jargon = { en = ["kafka"], "pt-BR" = ["kafka"] }   # added to the built-in lexicon
    components = ["redirector", "linkd"]              # internal names: block a notice
    max_jargon_per_100_words = 2.0                    # density that blocks (0: off)
    max_vague_phrases = 1                             # one more blocks
    severity = { hedge = "error" }                    # by rule id or family
    [comms.subscribers]
    receiver = "subscribers-mail"   # an smtp receiver without `to`; empty: sign-up off
    confirm_ttl = "48h"
    resend_after = "10m"
    [comms.reports]
    match_window = "1h"
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from monitor.config.types import Duration, Section
from monitor.durations import parse_duration

Channel = Literal["status_page", "banner", "subscribers", "press"]
Sev = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
Share = Annotated[float, Field(ge=0, le=1)]  # a share of users, 0..1


class Cadence(Section):
    first_notice: Duration | None = None
    update: Duration | None = None


DEFAULT_CADENCE: dict[Sev, dict[str, str]] = {
    "SEV1": {"first_notice": "10m", "update": "30m"},
    "SEV2": {"first_notice": "30m", "update": "1h"},
    "SEV3": {},
    "SEV4": {},
}


def _default_cadence() -> dict[Sev, Cadence]:
    return {sev: Cadence(**values) for sev, values in DEFAULT_CADENCE.items()}


def _default_channels() -> dict[Sev, list[Channel]]:
    return {
        "SEV1": ["status_page", "banner", "subscribers", "press"],
        "SEV2": ["status_page", "banner", "subscribers"],
        "SEV3": ["status_page"],
        "SEV4": ["status_page"],
    }


class ImpactConfig(Section):
    """Share of users affected (0..1, given by a responder with the notice) at or above which a
    channel is added whatever the severity; severity alone still decides when no share is given."""

    banner_share: Share = 0.05
    subscribers_share: Share = 0.10
    press_share: Share = 0.25


class Component(Section):
    name: str = Field(min_length=1, max_length=100)
    services: list[str] = []


LINT_RULES = (
    "jargon.term", "jargon.stack-trace", "jargon.status-code", "jargon.component",
    "jargon.density", "leak.hostname", "leak.ip", "leak.email", "leak.token",
    "leak.internal-url", "markup.html", "blame.shift", "hedge.vague", "hedge.density",
    "parts.missing",
    "parts.next-update", "promise.no-time", "readability.long-sentence", "readability.hard",
)
"""The notice linter's rules (``monitor.comms.linter``); a family is the part before the dot."""
LintSeverity = Literal["info", "warning", "error"]


class LinterConfig(Section):
    max_sentence_words: dict[str, int] = {"pt-BR": 30, "en": 25}
    jargon: dict[str, list[str]] = {}
    # Names of internal systems users have never heard of (your services, queues, hosts):
    # a notice naming one is blocked, like "nginx" or "kafka".
    components: list[str] = []
    # Technical terms per 100 words of a notice at or above which it is blocked (2 terms at
    # least; one term alone stays a warning). 0 turns the density rule off.
    max_jargon_per_100_words: float = Field(2.0, ge=0)
    # Vague or minimising phrases a notice may hold ("may have", "any inconvenience"); one
    # more blocks it (severity { "hedge.density" = "warning" } only warns).
    max_vague_phrases: int = Field(1, ge=0)
    # Severity per rule id or family: "error" blocks publishing, "warning" and "info" do not.
    severity: dict[str, LintSeverity] = {}

    @field_validator("severity")
    @classmethod
    def _known_rules(cls, value: dict[str, str]) -> dict[str, str]:
        families = {rule.split(".")[0] for rule in LINT_RULES}
        unknown = sorted(k for k in value if k not in LINT_RULES and k not in families)
        if unknown:
            raise ValueError(f"unknown lint rule(s) {', '.join(map(repr, unknown))}; rules: "
                             f"{', '.join(LINT_RULES)} (or a family: {', '.join(sorted(families))})")
        return value


class SubscribersConfig(Section):
    # Name of an smtp receiver in [[notify.receivers]] that carries subscriber and reporter
    # mail (its url and sender are used; give it no `to`). Empty: e-mail sign-up is off.
    receiver: str = ""
    confirm_ttl: Duration = parse_duration("48h")   # how long a confirmation link works
    resend_after: Duration = parse_duration("10m")  # a repeated sign-up mails a new link only after this


class ReportsConfig(Section):
    # A user report attaches to an open incident of its service detected no later than
    # this after the report's time (users often notice before the alerts do).
    match_window: Duration = parse_duration("1h")


class Comms(Section):
    status_title: str = "EVERLINKS status"
    default_lang: Literal["pt-BR", "en"] = "pt-BR"
    history_days: int = Field(14, ge=1, le=365)
    # How long the in-app banner keeps showing a retraction, so whoever saw the notice
    # there also sees it withdrawn.
    retraction_in_banner: Duration = parse_duration("24h")
    cadence: dict[Sev, Cadence] = Field(default_factory=_default_cadence)
    channels: dict[Sev, list[Channel]] = Field(default_factory=_default_channels)
    impact: ImpactConfig = ImpactConfig()
    components: list[Component] = []
    linter: LinterConfig = LinterConfig()
    subscribers: SubscribersConfig = SubscribersConfig()
    reports: ReportsConfig = ReportsConfig()

    @field_validator("cadence", mode="before")
    @classmethod
    def _cadence_over_defaults(cls, value: object) -> object:
        """A severity or key left out keeps its default (``SEV1.first_notice = "5m"`` alone
        keeps ``SEV1.update = "30m"`` and the other severities)."""
        if not isinstance(value, dict):
            return value
        merged: dict[str, object] = {k: dict(v) for k, v in DEFAULT_CADENCE.items()}
        for sev, rule in value.items():
            base = merged.get(sev, {})
            merged[sev] = {**base, **rule} if isinstance(rule, dict) and isinstance(base, dict) \
                else rule
        return merged

    @field_validator("channels", mode="before")
    @classmethod
    def _channels_over_defaults(cls, value: object) -> object:
        return {**_default_channels(), **value} if isinstance(value, dict) else value
