"""What the demo's on-call tells EVERLINKS users, in Brazilian Portuguese and English.

Times are filled in by the story (``{start}``, ``{next_update}``); the texts follow
the guide: plain words, "we", what users should do, and corrections that say
what was wrong and what is right.
"""

from __future__ import annotations

from typing import Any

from monitor.verification.words import public_impact

INITIAL = {
    "pt-BR": {
        "title": "Links curtos não estão abrindo",
        "what_happened": "Desde as {start} (UTC) muitos links curtos mostram uma página de erro.",
        "who_is_affected": "Todas as pessoas que abrem um link curto. Criar links continua funcionando.",
        "what_we_are_doing": "Encontramos a mudança que causou isso e estamos desfazendo agora.",
        "what_users_should_do": "Nada. Seus links estão seguros e voltarão a funcionar sozinhos.",
    },
    "en": {
        "title": "Short links are not opening",
        "what_happened": "Since {start} UTC many short links show an error page instead of opening.",
        "who_is_affected": "Everyone who opens a short link. Creating links still works.",
        "what_we_are_doing": "We found the change that caused this and we are undoing it now.",
        "what_users_should_do": "Nothing. Your links are safe and will work again without changes.",
    },
}

CORRECTION = {
    "pt-BR": {
        "title": "Correção: criar links também falhou",
        "what_was_wrong": "Dissemos que criar links continuava funcionando.",
        "what_is_right": "Criar novos links também falhou desde as {start} (UTC). "
                         "Links criados nesse período não foram salvos.",
        "what_users_should_do": "Se você criou um link nesse horário, crie de novo, por favor.",
    },
    "en": {
        "title": "Correction: creating links also failed",
        "what_was_wrong": "We said that creating links still worked.",
        "what_is_right": "Creating new links also failed since {start} UTC. "
                         "Links you created in that time were not saved.",
        "what_users_should_do": "If you created a link during that time, please create it again.",
    },
}

RESOLVED = {
    "pt-BR": {
        "title": "Links curtos voltaram a funcionar",
        "what_happened": "Desde as {start} (UTC) links curtos mostraram uma página de erro. "
                         "Uma mudança nossa quebrou a busca de links.",
        "who_is_affected": "Todas as pessoas que abriram ou criaram um link nesse período.",
        "what_we_are_doing": "Tudo voltou a funcionar. Vamos acompanhar de perto no próximo dia.",
        "what_users_should_do": "Se você criou um link nesse período, crie de novo, por favor.",
        "corrective_actions": ["Agora testamos cada mudança em uma pequena parte dos links antes.",
                               "Criamos um alarme que nos avisa em segundos quando links param de abrir."],
    },
    "en": {
        "title": "Short links work again",
        "what_happened": "Since {start} UTC short links showed an error page. "
                         "A change we made broke link lookups.",
        "who_is_affected": "Everyone who opened or created a link in that time.",
        "what_we_are_doing": "Everything works again. We are watching closely for the next day.",
        "what_users_should_do": "If you created a link in that time, please create it again.",
        "corrective_actions": ["We now try every change on a small share of links first.",
                               "We added an alarm that tells us within seconds when links stop opening."],
    },
}


def content(template: dict[str, Any], **values: str) -> dict[str, Any]:
    """``template`` with ``{start}``-style placeholders filled in."""
    return {k: v.format(**values) if isinstance(v, str) else v for k, v in template.items()}


def closing(lang: str, *, start: str, impact: dict[str, Any] | None) -> dict[str, Any]:
    """The closing notice: what happened, with the measured impact in plain words
    (``monitor.verification.words.public_impact``; "not measured" when it was not)."""
    filled = content(RESOLVED[lang], start=start)
    filled["what_happened"] += " " + public_impact(impact, lang)  # from the catalogue, no queries
    return filled
