"""Fixed words of the public pages and notices, per language, and language choice."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "what_happened": "What happened",
        "who_is_affected": "Who is affected",
        "what_we_are_doing": "What we are doing",
        "what_users_should_do": "What you should do",
        "next_update_at": "Next update",
        "corrective_actions": "What we changed so it does not happen again",
        "what_was_wrong": "What we said that was wrong",
        "what_is_right": "What is right",
        "corrected_at": "Corrected at",
        "retraction_reason": "Why we are withdrawing this notice",
        "kind.initial": "Notice",
        "kind.update": "Update",
        "kind.correction": "Correction",
        "kind.retraction": "Retraction",
        "version": "version",
        "published": "Published",
        "status": "Status",
        "components": "Components",
        "active": "Current incidents",
        "history": "Recent history",
        "no_active": "No known problems right now.",
        "no_history": "No incidents in this period.",
        "operational": "Operational",
        "degraded": "Degraded",
        "outage": "Major outage",
        "state.open": "Ongoing",
        "state.resolved": "Resolved",
        "state.retracted": "False alarm (retracted)",
        "timeline": "Full timeline",
        "feed": "Atom feed",
        "back": "Back to status",
        "language": "Language",
        "previous_statement": "Previous statement",
        "corrected_statement": "Corrected statement",
        "press_draft": "DRAFT — needs approval before anything is sent",
        "press_more": "Live updates:",
        "reply_greeting": "Hello,",
        "reply_intro": "Thank you for telling us. We know about this problem and we are working on it.",
        "reply_correction": "An earlier message from us was wrong. What is right:",
        "reply_follow": "You can follow every update here:",
        "subscribe": "Get notices by e-mail",
        "subscribe_intro": "We send our notices, updates and corrections. We first mail you a "
                           "link to confirm, and every mail has a link to stop.",
        "subscribe_email": "Your e-mail address",
        "subscribe_components": "Only about these components (none ticked: all)",
        "subscribe_button": "Subscribe",
    },
    "pt-BR": {
        "what_happened": "O que aconteceu",
        "who_is_affected": "Quem foi afetado",
        "what_we_are_doing": "O que estamos fazendo",
        "what_users_should_do": "O que você deve fazer",
        "next_update_at": "Próxima atualização",
        "corrective_actions": "O que mudamos para não acontecer de novo",
        "what_was_wrong": "O que dissemos e estava errado",
        "what_is_right": "O que é correto",
        "corrected_at": "Corrigido em",
        "retraction_reason": "Por que estamos retirando este aviso",
        "kind.initial": "Aviso",
        "kind.update": "Atualização",
        "kind.correction": "Correção",
        "kind.retraction": "Retratação",
        "version": "versão",
        "published": "Publicado",
        "status": "Status",
        "components": "Componentes",
        "active": "Incidentes em andamento",
        "history": "Histórico recente",
        "no_active": "Nenhum problema conhecido no momento.",
        "no_history": "Nenhum incidente neste período.",
        "operational": "Operacional",
        "degraded": "Degradado",
        "outage": "Indisponível",
        "state.open": "Em andamento",
        "state.resolved": "Resolvido",
        "state.retracted": "Alarme falso (retratado)",
        "timeline": "Linha do tempo completa",
        "feed": "Feed Atom",
        "back": "Voltar ao status",
        "language": "Idioma",
        "previous_statement": "Afirmação anterior",
        "corrected_statement": "Afirmação corrigida",
        "press_draft": "RASCUNHO — precisa de aprovação antes de qualquer envio",
        "press_more": "Atualizações ao vivo:",
        "reply_greeting": "Olá,",
        "reply_intro": "Obrigado por nos avisar. Já sabemos deste problema e estamos trabalhando nele.",
        "reply_correction": "Uma mensagem anterior nossa estava errada. O correto é:",
        "reply_follow": "Você pode acompanhar cada atualização aqui:",
        "subscribe": "Receba os avisos por e-mail",
        "subscribe_intro": "Enviamos nossos avisos, atualizações e correções. Primeiro mandamos "
                           "um link para confirmar, e todo e-mail tem um link para cancelar.",
        "subscribe_email": "Seu endereço de e-mail",
        "subscribe_components": "Só sobre estes componentes (nenhum marcado: todos)",
        "subscribe_button": "Inscrever-se",
    },
}
LANGS = tuple(LABELS)


def choose_lang(query: str | None, accept_language: str | None, default: str) -> str:
    """``?lang=`` wins, then the best Accept-Language match, then ``default``.

    >>> choose_lang(None, "en-US,en;q=0.9,pt;q=0.8", "pt-BR")
    'en'
    >>> choose_lang(None, "pt,en;q=0.5", "en")
    'pt-BR'
    """
    for candidate in ([query] if query else []) + _ranked(accept_language or ""):
        for lang in LANGS:
            if candidate.lower() == lang.lower() or candidate.split("-")[0].lower() == lang[:2]:
                return lang
    return default


def _ranked(header: str) -> list[str]:
    items: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            items.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(items)]
