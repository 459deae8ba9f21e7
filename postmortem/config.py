"""The ``[postmortem]`` section of ``config.toml``.

``monitor.config.Settings`` mounts this class as its ``postmortem`` field, so
nothing from ``monitor.config`` is imported here (that would be a cycle).

    [postmortem]
    auto_draft_severities = ["SEV1", "SEV2"]   # drafted when such an incident resolves
    templates_dir = ""                         # your own *.j2 files override the built-in ones
    default_lang = "en"                        # or "pt-BR"
    required_approvals = 1                     # approvals before in_review -> reviewed
    digest_period = "week"                     # week | month | quarter
    pdf_timeline_limit = 2000                  # timeline entries in a PDF (0: all); key moments always
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

Lang = Literal["en", "pt-BR"]
LANGS: tuple[str, ...] = ("en", "pt-BR")
Severity = Annotated[str, Field(pattern=r"^SEV[1-4]$")]


class PostmortemSettings(Section):
    auto_draft_severities: list[Severity] = ["SEV1", "SEV2"]
    templates_dir: str = ""
    default_lang: Lang = "en"
    required_approvals: int = Field(1, ge=1, le=10)
    digest_period: Literal["week", "month", "quarter"] = "week"
    pdf_timeline_limit: int = Field(2000, ge=0, le=1_000_000)


def of(settings: Any) -> PostmortemSettings:
    """The postmortem section of ``settings``."""
    section: PostmortemSettings = settings.postmortem
    return section
