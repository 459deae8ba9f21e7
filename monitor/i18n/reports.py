"""What leadership and responders read: postmortems, digests, timeline sentences and charts."""

from __future__ import annotations

from monitor.i18n import Catalogue, Choice, Msg, Plural


class Reports(Catalogue):
    """Headings and labels of the postmortem and the digest."""

    postmortem = Msg("Postmortem", "Análise pós-incidente")
    key_facts = Msg("Key facts", "Fatos principais")
    severity = Msg("Severity", "Severidade")
    services = Msg("Services", "Serviços")
    state = Msg("State", "Estado")
    status = Msg("Review status", "Status da revisão")
    version = Msg("Version", "Versão")
    duration = Msg("Duration", "Duração")
    commander = Msg("Incident commander", "Comandante do incidente")
    links = Msg("Links", "Links", loan=True)
    impact_started = Msg("Impact started", "Início do impacto")
    detected = Msg("Detected", "Detectado em")
    acknowledged = Msg("Acknowledged", "Reconhecido em")
    first_notice = Msg("First public notice", "Primeiro aviso público")
    fix_deployed = Msg("Fix deployed", "Correção implantada")
    restored = Msg("Service restored", "Serviço restabelecido")
    verified = Msg("Fix verified", "Correção verificada")
    resolved = Msg("Resolved", "Resolvido em")
    time_to_detect = Msg("Time to detect", "Tempo até detectar")
    time_to_acknowledge = Msg("Time to acknowledge", "Tempo até reconhecer")
    time_to_first_notice = Msg("Time to first notice", "Tempo até o primeiro aviso")
    time_to_restore = Msg("Time to restore", "Tempo até restabelecer")
    time_to_verify = Msg("Time to verify", "Tempo até verificar")
    impact_numbers = Msg("Impact", "Impacto")
    executive_summary = Msg("Executive summary", "Resumo executivo")
    customer_impact = Msg("Customer impact", "Impacto para os clientes")
    lead_up = Msg("Lead-up", "Antecedentes")
    trigger = Msg("Trigger", "Gatilho")
    fault = Msg("Fault", "Falha")
    detection = Msg("Detection", "Detecção")
    response = Msg("Response", "Resposta")
    recovery = Msg("Recovery", "Recuperação")
    root_causes = Msg("Root causes", "Causas raiz")
    contributing_factors = Msg("Contributing factors", "Fatores contribuintes")
    five_whys = Msg("Five whys", "Cinco porquês")
    lessons = Msg("Lessons", "Lições")
    went_well = Msg("What went well", "O que deu certo")
    went_wrong = Msg("What went wrong", "O que deu errado")
    got_lucky = Msg("Where we got lucky", "Onde tivemos sorte")
    timeline = Msg("Timeline", "Linha do tempo")
    time = Msg("Time (UTC)", "Hora (UTC)")
    offset = Msg("Since impact", "Desde o impacto")
    event = Msg("What happened", "O que aconteceu")
    actor = Msg("Who", "Quem")
    action_items = Msg("Action items", "Ações")
    item = Msg("Item", "Ação")
    type = Msg("Type", "Tipo")
    owner = Msg("Owner", "Responsável")
    due = Msg("Due", "Prazo")
    priority = Msg("Priority", "Prioridade")
    ticket = Msg("Ticket", "Chamado")
    overdue = Msg("overdue", "atrasada")
    completion = Msg("Completion", "Conclusão")
    done_of = Msg("{closed} of {total} done", "{closed} de {total} concluídas")
    late = Plural(Msg("{n} overdue", "{n} atrasada"), Msg("{n} overdue", "{n} atrasadas"))
    communications = Msg("Communications", "Comunicação")
    charts = Msg("Supporting charts", "Gráficos de apoio")
    signal_chart = Msg("Triggering signal", "Sinal que disparou o alerta")
    not_written = Msg("Not written yet.", "Ainda não escrito.")
    write_it = Msg("Write it with {command}.", "Escreva com {command}.")
    nothing_recorded = Msg("Nothing recorded yet.", "Nada registrado ainda.")
    no_action_items = Msg("No action items yet.", "Nenhuma ação registrada ainda.")
    not_yet = Msg("—", "—", loan=True)
    key_moments = Msg("Key moments", "Momentos-chave")
    hidden_entries = Msg("Entries hidden as noise", "Entradas ocultadas como ruído")
    omitted_entries = Msg(
        "Entries left out of this PDF (every key moment is kept; the HTML and Markdown versions "
        "have the full timeline)",
        "Entradas fora deste PDF (todos os momentos-chave ficam; as versões HTML e Markdown têm a "
        "linha do tempo completa)")
    item_status = Msg("Status", "Situação")
    impact_start_entry = Msg("Impact started (first bad sample)",
                             "Início do impacto (primeira amostra ruim)")
    generated = Msg("Generated", "Gerado em")
    page = Msg("Page", "Página")
    of = Msg("of", "de")
    no_communications = Msg("No public notice was published for this incident.",
                            "Nenhum aviso público foi publicado para este incidente.")
    no_signal = Msg(
        "No signal data: neither the alert rule's expression nor the ALERTS series has samples in "
        "the series store for this incident's window.",
        "Sem dados de sinal: nem a expressão da regra de alerta nem a série ALERTS têm amostras no "
        "armazenamento de séries na janela deste incidente.")
    reason = Msg("Reason", "Motivo")
    annotation = Msg("Annotation", "Anotação")
    guide = Choice({
        "executive_summary": Msg("In three sentences: what users saw, for how long, and what we "
                                 "changed.",
                                 "Em três frases: o que os usuários viram, por quanto tempo e o "
                                 "que mudamos."),
        "customer_impact": Msg("Who was affected, how many, for how long, and what they could "
                               "not do.",
                               "Quem foi afetado, quantas pessoas, por quanto tempo e o que não "
                               "conseguiram fazer."),
        "lead_up": Msg("What changed before the incident began.",
                       "O que mudou antes de o incidente começar."),
        "trigger": Msg("What set it off.", "O que o desencadeou."),
        "fault": Msg("What broke, and how.", "O que quebrou, e como."),
        "detection": Msg("How we found out, and how fast.", "Como descobrimos, e com que rapidez."),
        "response": Msg("Who did what, and when.", "Quem fez o quê, e quando."),
        "recovery": Msg("What brought the service back.", "O que restabeleceu o serviço."),
    })

    # the digest
    slo_status = Msg("SLO error budgets", "Orçamentos de erro dos SLOs")
    no_slos = Msg("No SLOs configured.", "Nenhum SLO configurado.")
    slo = Msg("SLO", "SLO", loan=True)
    budget_remaining = Msg("Error budget remaining", "Orçamento de erro restante")
    slo_no_data = Msg("no data", "sem dados")
    items_by_team = Msg("Action items by team", "Ações por equipe")
    team = Msg("Team", "Equipe")
    closed = Msg("Closed", "Concluídas")
    open_items = Msg("Open", "Abertas")
    trend_charts = Msg("Trends", "Tendências")
    per_day = Msg("Incidents per day", "Incidentes por dia")
    per_week = Msg("Incidents per week", "Incidentes por semana")
    mttr_per_week = Msg("Mean time to restore per week", "Tempo médio até restabelecer, por semana")
    charts_elsewhere = Msg("Trend charts are in the HTML and PDF versions.",
                           "Os gráficos de tendência estão nas versões HTML e PDF.")
    digest = Msg("Incident digest", "Resumo de incidentes")
    period = Msg("Period", "Período")
    incidents = Msg("Incidents", "Incidentes")
    by_severity = Msg("By severity", "Por severidade")
    by_service = Msg("By service", "Por serviço")
    figures = Msg("Response times", "Tempos de resposta")
    mean = Msg("Mean", "Média")
    previous = Msg("Previous period", "Período anterior")
    this_period = Msg("This period", "Este período")
    change = Msg("Change", "Variação")
    mttd = Msg("Mean time to detect", "Tempo médio até detectar")
    mtta = Msg("Mean time to acknowledge", "Tempo médio até reconhecer")
    mttr = Msg("Mean time to restore", "Tempo médio até restabelecer")
    mttn = Msg("Mean time to first notice", "Tempo médio até o primeiro aviso")
    corrections = Msg("Corrections issued", "Correções publicadas")
    retractions = Msg("Retractions issued", "Retratações publicadas")
    items_opened = Msg("Action items opened", "Ações abertas")
    items_closed = Msg("Action items closed", "Ações concluídas")
    items_overdue = Msg("Action items overdue", "Ações atrasadas")
    repeats = Msg("Repeat incidents", "Incidentes repetidos")
    no_repeats = Msg("No repeat incidents.", "Nenhum incidente repetido.")
    repeat_by = Choice({
        "service": Msg("same service", "mesmo serviço"),
        "group": Msg("same alert group", "mesmo grupo de alertas"),
        "reopened": Msg("reopened", "reaberto"),
    })
    postmortems_published = Msg("Postmortems published", "Análises pós-incidente publicadas")
    no_postmortems = Msg("No postmortem published.", "Nenhuma análise pós-incidente publicada.")
    no_incidents_listed = Msg("No incidents.", "Nenhum incidente.")
    no_team_items = Msg("No action items.", "Nenhuma ação.")
    no_incidents = Msg(
        "No incidents in this period. Nothing was detected, reported or declared between these "
        "dates; the figures below are empty, not zero-by-omission.",
        "Nenhum incidente neste período. Nada foi detectado, relatado ou declarado entre essas "
        "datas; os números abaixo estão vazios, não omitidos.")
    still_open = Msg("still open", "ainda aberto")
    count = Msg("Count", "Quantidade")
    title = Msg("Title", "Título")
    period_name = Choice({
        "week": Msg("week", "semana"),
        "month": Msg("month", "mês"),
        "quarter": Msg("quarter", "trimestre"),
    })
    none_service = Msg("(none)", "(nenhum)")


class Words(Catalogue):
    """Stored values as people read them."""

    state = Choice({
        "detected": Msg("detected", "detectado"),
        "acknowledged": Msg("acknowledged", "reconhecido"),
        "identified": Msg("identified", "identificado"),
        "fixing": Msg("fixing", "em correção"),
        "verifying": Msg("verifying", "em verificação"),
        "regressed": Msg("regressed", "regrediu"),
        "resolved": Msg("resolved", "resolvido"),
        "reopened": Msg("reopened", "reaberto"),
        "retracted": Msg("retracted", "retratado"),
    })
    review = Choice({
        "none": Msg("not started", "não iniciada"),
        "draft": Msg("draft", "rascunho"),
        "in_review": Msg("in review", "em revisão"),
        "reviewed": Msg("reviewed", "revisada"),
        "published": Msg("published", "publicada"),
    })
    item_status = Choice({
        "open": Msg("open", "aberta"),
        "in_progress": Msg("in progress", "em andamento"),
        "done": Msg("done", "concluída"),
        "wont_do": Msg("won't do", "não será feita"),
    })
    item_type = Choice({
        "prevent": Msg("prevent", "prevenir"),
        "mitigate": Msg("mitigate", "mitigar"),
        "detect": Msg("detect", "detectar"),
        "process": Msg("process", "processo"),
        "repair": Msg("repair", "reparar"),
        "investigate": Msg("investigate", "investigar"),
    })
    relation = Choice({
        "related": Msg("related", "relacionado"),
        "duplicate": Msg("duplicate", "duplicado"),
        "caused_by": Msg("caused by", "causado por"),
        "causes": Msg("causes", "causa"),
    })
    impact = Choice({
        "failed_redirects": Msg("failed redirects", "redirecionamentos com falha"),
        "users_affected": Msg("people affected", "pessoas afetadas"),
        "error_budget_spent_pct": Msg("error budget spent (%)", "orçamento de erro gasto (%)"),
        "failed_requests": Msg("failed requests", "requisições com falha"),
        "requests": Msg("requests", "requisições"),
        "errors": Msg("errors", "erros"),
    })


class Timeline(Catalogue):
    """One sentence per incident event, and the reasons Candor itself gives."""

    opened = Msg("Incident opened: {title}", "Incidente aberto: {title}")
    transitioned = Msg("State: {from_} → {to}", "Estado: {from_} → {to}")
    alert_fired = Msg("Alert {alertname} fired", "Alerta {alertname} disparou")
    alert_resolved = Msg("Alert {alertname} resolved", "Alerta {alertname} normalizou")
    all_resolved = Msg("All alerts resolved", "Todos os alertas normalizaram")
    note = Msg("Note: {text}", "Nota: {text}")
    severity = Msg("Severity: {from_} → {to}", "Severidade: {from_} → {to}")
    commander = Msg("Incident commander: {commander}", "Comandante do incidente: {commander}")
    linked = Msg("Linked to {key} ({relation})", "Vinculado a {key} ({relation})")
    group_released = Msg("New alerts of its group now go to {kept_by}",
                         "Novos alertas do seu grupo agora vão para {kept_by}")
    fix = Msg("Fix deployed: {description}", "Correção implantada: {description}")
    notice_published = Msg("Public notice published", "Aviso público publicado")
    notice_updated = Msg("Public notice updated", "Aviso público atualizado")
    notice_corrected = Msg("Correction published", "Correção do aviso publicada")
    notice_retracted = Msg("Retraction published", "Retratação publicada")
    verification_passed = Msg("Fix verified", "Correção verificada")
    verification_window = Msg("Fix verified: the signal stayed healthy for {window}",
                              "Correção verificada: o sinal ficou saudável por {window}")
    user_report = Msg("A user reported a problem", "Um usuário relatou um problema")
    reason = Choice({
        "alerts_resolved": Msg("every alert has resolved; watching the signal",
                               "todos os alertas normalizaram; acompanhando o sinal"),
        "alerts_resolved_resolve": Msg("every alert has resolved (on_alerts_resolved=resolve)",
                                       "todos os alertas normalizaram (on_alerts_resolved=resolve)"),
    })
    verified_for = Msg("verified: the signal stayed healthy for {window}",
                       "verificado: o sinal ficou saudável por {window}")
    fix_recorded = Msg("fix {fix} recorded; verifying it from the signal",
                       "correção {fix} registrada; verificando pelo sinal")
    fired_again = Msg("alert {alert} fired again while the fix was being verified",
                      "o alerta {alert} disparou de novo durante a verificação da correção")
    back_to_fixing = Msg("back to fixing after the regression", "de volta à correção após a regressão")


class Drafts(Catalogue):
    """What Candor writes into a fresh postmortem from the events (people correct it)."""

    detected_at = Msg("Detected at {at}", "Detectado em {at}")
    detected_by = Plural(Msg("Detected at {at} by the alert {alerts}",
                             "Detectado em {at} pelo alerta {alerts}"),
                         Msg("Detected at {at} by the alerts {alerts}",
                             "Detectado em {at} pelos alertas {alerts}"))
    after_impact = Msg(", {offset} after impact started.", ", {offset} após o início do impacto.")
    fixes = Plural(Msg("Fix deployed: {fixes}.", "Correção implantada: {fixes}."),
                   Msg("Fixes deployed: {fixes}.", "Correções implantadas: {fixes}."))
    acknowledged = Msg("Acknowledged by {who} {offset} after detection.",
                       "Reconhecido por {who} {offset} após a detecção.")
    first_notice = Msg("First public notice {offset} after impact started.",
                       "Primeiro aviso público {offset} após o início do impacto.")
    corrections = Plural(Msg("{n} correction published.", "{n} correção publicada."),
                         Msg("{n} corrections published.", "{n} correções publicadas."))


class Charts(Catalogue):
    """Words drawn on the charts."""

    impact = Msg("impact started", "início do impacto")
    detected = Msg("detected", "detectado")
    verified = Msg("verified", "verificado")
    resolved = Msg("resolved", "resolvido")
    fix = Msg("fix deployed", "correção implantada")
    notice = Choice({
        "published": Msg("notice published", "aviso publicado"),
        "updated": Msg("notice updated", "aviso atualizado"),
        "corrected": Msg("notice corrected", "aviso corrigido"),
        "retracted": Msg("notice retracted", "aviso retratado"),
    })
    threshold = Msg("alert threshold: {value}", "limite do alerta: {value}")
    window = Msg("incident", "incidente")
    time_utc = Msg("time (UTC)", "hora (UTC)")
    unit = Choice({
        "percent": Msg("% of requests", "% das requisições"),
        "ratio": Msg("share (0–1)", "proporção (0–1)"),
        "seconds": Msg("seconds", "segundos"),
        "per_second": Msg("per second", "por segundo"),
        "bytes": Msg("bytes", "bytes", loan=True),
        "alert": Msg("alert firing (1) or not (0)", "alerta disparado (1) ou não (0)"),
        "value": Msg("value", "valor"),
        "incidents": Msg("incidents", "incidentes"),
        "minutes": Msg("minutes", "minutos"),
    })
    target = Msg("target: {value}", "meta: {value}")
    no_data = Msg("no incidents restored this week", "nenhum incidente restabelecido nesta semana")
    week_of = Msg("week of", "semana de")
