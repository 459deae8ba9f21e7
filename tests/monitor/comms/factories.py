"""Notice content that passes the linter, per language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.comms.models import Content

GOOD: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Short links are not opening",
        "what_happened": "Since 09:00 UTC many short links show an error page instead of opening.",
        "who_is_affected": "Everyone who opens a short link. Creating links still works.",
        "what_we_are_doing": "We found the change that caused this and we are undoing it now.",
        "what_users_should_do": "Nothing. Your links are safe and will work again without changes.",
    },
    "pt-BR": {
        "title": "Links curtos não estão abrindo",
        "what_happened": "Desde as 9h (UTC) muitos links curtos mostram uma página de erro.",
        "who_is_affected": "Todas as pessoas que abrem um link curto. Criar links continua "
                           "funcionando.",
        "what_we_are_doing": "Encontramos a mudança que causou isso e estamos desfazendo agora.",
        "what_users_should_do": "Nada. Seus links estão seguros e voltarão a funcionar sozinhos.",
    },
}


def content(lang: str = "en", next_update_at: datetime | None = None, **changes: Any) -> Content:
    values = {**GOOD[lang], "next_update_at": next_update_at, **changes}
    return Content.model_validate(values)
