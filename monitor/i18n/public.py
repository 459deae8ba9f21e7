"""What the public reads: the status page, notices, the feed, drafts for the press and support,
and the mail sent to subscribers and to users who reported a problem."""

from __future__ import annotations

from monitor.i18n import Catalogue, Choice, Msg


class Public(Catalogue):
    # the parts of a notice
    title = Msg("Title", "Título")
    what_happened = Msg("What happened", "O que aconteceu")
    who_is_affected = Msg("Who is affected", "Quem foi afetado")
    what_we_are_doing = Msg("What we are doing", "O que estamos fazendo")
    what_users_should_do = Msg("What you should do", "O que você deve fazer")
    next_update_at = Msg("Next update", "Próxima atualização")
    corrective_actions = Msg("What we changed so it does not happen again",
                             "O que mudamos para não acontecer de novo")
    what_was_wrong = Msg("What we said that was wrong", "O que dissemos e estava errado")
    what_is_right = Msg("What is right", "O que é correto")
    retraction_reason = Msg("Why we are withdrawing this notice",
                            "Por que estamos retirando este aviso")
    # drafted by Candor when a fix did not hold (a person reviews and publishes it)
    fix_did_not_hold_title = Msg("{title}: our fix did not solve it",
                                 "{title}: nossa correção não resolveu")
    fix_did_not_hold = Msg("The fix we put out did not solve the problem: the errors came back. "
                           "We are working on another fix.",
                           "A correção que aplicamos não resolveu o problema: os erros voltaram. "
                           "Estamos trabalhando em outra correção.")
    kind = Choice({
        "initial": Msg("Notice", "Aviso"),
        "update": Msg("Update", "Atualização"),
        "correction": Msg("Correction", "Correção"),
        "retraction": Msg("Retraction", "Retratação"),
    })

    # the pages
    version = Msg("version", "versão")
    published = Msg("Published", "Publicado em")
    updated = Msg("Updated", "Atualizado em")
    status = Msg("Status", "Status", loan=True)
    components = Msg("Components", "Componentes")
    active = Msg("Current incidents", "Incidentes em andamento")
    history = Msg("Recent history", "Histórico recente")
    no_active = Msg("No known problems right now.", "Nenhum problema conhecido no momento.")
    no_history = Msg("No incidents in this period.", "Nenhum incidente neste período.")
    impact = Choice({
        "operational": Msg("Operational", "Operacional"),
        "degraded": Msg("Degraded", "Degradado"),
        "outage": Msg("Major outage", "Indisponível"),
    })
    state = Choice({
        "open": Msg("Ongoing", "Em andamento"),
        "resolved": Msg("Resolved", "Resolvido"),
        "retracted": Msg("False alarm (retracted)", "Alarme falso (retratado)"),
    })
    current = Msg("Current notice", "Aviso atual")
    withdrawn_notice = Msg("The withdrawn notice", "O aviso retirado")
    withdrawn = Msg("We withdrew this notice: what it said was not right.",
                    "Retiramos este aviso: o que ele dizia não estava certo.")
    corrections = Msg("Corrections", "Correções")
    corrected = Msg("corrected", "corrigido")
    timeline = Msg("Full timeline", "Linha do tempo completa")
    feed = Msg("Atom feed", "Feed Atom")
    back = Msg("Back to status", "Voltar ao status")
    language = Msg("Language", "Idioma")
    previous_statement = Msg("Previous statement", "Afirmação anterior")
    corrected_statement = Msg("Corrected statement", "Afirmação corrigida")
    corrected_at = Msg("Corrected at", "Corrigido em")
    more = Msg("Read the full notice", "Leia o aviso completo")

    # e-mail sign-up on the status page
    subscribe = Msg("Get notices by e-mail", "Receba os avisos por e-mail")
    subscribe_intro = Msg(
        "We send our notices, updates and corrections. We first mail you a link to confirm, "
        "and every mail has a link to stop.",
        "Enviamos nossos avisos, atualizações e correções. Primeiro mandamos um link para "
        "confirmar, e todo e-mail tem um link para cancelar.")
    subscribe_email = Msg("Your e-mail address", "Seu endereço de e-mail")
    subscribe_components = Msg("Only about these components (none ticked: all)",
                               "Só sobre estes componentes (nenhum marcado: todos)")
    subscribe_button = Msg("Subscribe", "Inscrever-se")

    # drafts people send by hand
    press_draft = Msg("DRAFT — needs approval before anything is sent",
                      "RASCUNHO — precisa de aprovação antes de qualquer envio")
    press_more = Msg("Live updates:", "Atualizações ao vivo:")
    reply_greeting = Msg("Hello,", "Olá,")
    reply_intro = Msg("Thank you for telling us. We know about this problem and we are working on it.",
                      "Obrigado por nos avisar. Já sabemos deste problema e estamos trabalhando nele.")
    reply_correction = Msg("An earlier message from us was wrong. What is right:",
                           "Uma mensagem anterior nossa estava errada. O correto é:")
    reply_follow = Msg("You can follow every update here:",
                       "Você pode acompanhar cada atualização aqui:")


class Mail(Catalogue):
    """Mail to subscribers and to users who reported a problem."""

    confirm_subject = Msg("Confirm your subscription to {title}", "Confirme sua inscrição em {title}")
    confirm_body = Msg(
        "Someone (we hope you) asked to receive notices from {title} at this address.\n\n"
        "Confirm: {confirm}\n\nIf it was not you, ignore this message or stop it here: "
        "{unsubscribe}\n",
        "Alguém (esperamos que você) pediu para receber avisos de {title} neste endereço.\n\n"
        "Confirmar: {confirm}\n\nSe não foi você, ignore esta mensagem ou cancele aqui: "
        "{unsubscribe}\n")
    footer = Msg("\n--\nFull timeline: {status}\nUnsubscribe (one click): {unsubscribe}\n",
                 "\n--\nLinha do tempo completa: {status}\nCancelar inscrição (um clique): "
                 "{unsubscribe}\n")
    report_resolved_subject = Msg("Fixed: the problem you told us about",
                                  "Resolvido: o problema que você nos informou")
    report_resolved_body = Msg("Thank you for your report. The problem is fixed.\n",
                               "Obrigado pelo seu relato. O problema foi resolvido.\n")
    report_corrected_subject = Msg("Correction about the problem you told us about",
                                   "Correção sobre o problema que você nos informou")
    report_more = Msg("\nFull timeline: {url}\n", "\nLinha do tempo completa: {url}\n")
