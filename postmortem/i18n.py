"""Words of the reports in English and Brazilian Portuguese, and how events read in each.

``t(lang, key)`` looks up a label (a missing key is a bug: it raises);
``describe(entry, lang)`` turns one timeline entry into a plain sentence;
``duration(delta, lang)`` writes ``1h 05m`` / ``1 h 05 min``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.event_types import IMPACT_STARTED, NOTICE_VERSIONS, EventType
from postmortem.timeline import Entry

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "postmortem": "Postmortem", "key_facts": "Key facts", "severity": "Severity",
        "services": "Services", "state": "State", "status": "Review status", "version": "Version",
        "duration": "Duration", "commander": "Incident commander", "links": "Links",
        "impact_started": "Impact started", "detected": "Detected", "acknowledged": "Acknowledged",
        "first_notice": "First public notice", "fix_deployed": "Fix deployed",
        "restored": "Service restored", "verified": "Fix verified", "resolved": "Resolved",
        "time_to_detect": "Time to detect", "time_to_acknowledge": "Time to acknowledge",
        "time_to_first_notice": "Time to first notice", "time_to_restore": "Time to restore",
        "time_to_verify": "Time to verify", "impact_numbers": "Impact",
        "executive_summary": "Executive summary", "customer_impact": "Customer impact",
        "lead_up": "Lead-up", "trigger": "Trigger", "fault": "Fault", "detection": "Detection",
        "response": "Response", "recovery": "Recovery",
        "root_causes": "Root causes", "contributing_factors": "Contributing factors",
        "five_whys": "Five whys", "why": "Why", "lessons": "Lessons",
        "went_well": "What went well", "went_wrong": "What went wrong",
        "got_lucky": "Where we got lucky", "timeline": "Timeline", "time": "Time (UTC)",
        "offset": "Since impact", "event": "What happened", "actor": "Who",
        "action_items": "Action items", "item": "Item", "type": "Type", "owner": "Owner",
        "due": "Due", "priority": "Priority", "ticket": "Ticket", "overdue": "overdue",
        "completion": "Completion", "communications": "Communications",
        "charts": "Supporting charts", "signal_chart": "Triggering signal",
        "not_written": "Not written yet.", "none": "None.", "not_yet": "—",
        "key_moments": "Key moments", "hidden_entries": "Entries hidden as noise",
        "omitted_entries": "Entries left out of this PDF (every key moment is kept; the HTML and "
        "Markdown versions have the full timeline)", "item_status": "Status",
        "impact_start_entry": "Impact started (first bad sample)",
        "generated": "Generated", "page": "Page", "of": "of", "summary_page": "One-page summary",
        "no_communications": "No public notice was published for this incident.",
        "no_signal": "No signal data: neither the alert rule's expression nor the ALERTS series "
        "has samples in the series store for this incident's window.",
        "slo_status": "SLO error budgets", "no_slos": "No SLOs configured.", "slo": "SLO",
        "budget_remaining": "Error budget remaining", "slo_no_data": "no data",
        "items_by_team": "Action items by team", "team": "Team", "closed": "Closed",
        "open_items": "Open", "trend_charts": "Trends", "per_day": "Incidents per day",
        "mttr_per_week": "Mean time to restore per week (minutes)",
        "charts_elsewhere": "Trend charts are in the HTML and PDF versions.",
        "digest": "Incident digest", "period": "Period", "incidents": "Incidents",
        "by_severity": "By severity", "by_service": "By service", "figures": "Response times",
        "mean": "Mean", "previous": "Previous period", "change": "Change",
        "mttd": "Mean time to detect", "mtta": "Mean time to acknowledge",
        "mttr": "Mean time to restore", "mttn": "Mean time to first notice",
        "corrections": "Corrections issued", "retractions": "Retractions issued",
        "items_opened": "Action items opened", "items_closed": "Action items closed",
        "items_overdue": "Action items overdue", "repeats": "Repeat incidents",
        "postmortems_published": "Postmortems published", "no_incidents":
        "No incidents in this period. Nothing was detected, reported or declared between "
        "these dates; the figures below are empty, not zero-by-omission.",
        "count": "Count", "title": "Title", "week": "week", "month": "month", "quarter": "quarter",
        "reason": "Reason", "annotation": "Annotation",
    },
    "pt-BR": {
        "postmortem": "Postmortem", "key_facts": "Fatos principais", "severity": "Severidade",
        "services": "Serviços", "state": "Estado", "status": "Status da revisão", "version": "Versão",
        "duration": "Duração", "commander": "Comandante do incidente", "links": "Links",
        "impact_started": "Início do impacto", "detected": "Detectado",
        "acknowledged": "Reconhecido", "first_notice": "Primeiro aviso público",
        "fix_deployed": "Correção implantada", "restored": "Serviço restabelecido",
        "verified": "Correção verificada", "resolved": "Resolvido",
        "time_to_detect": "Tempo até detectar", "time_to_acknowledge": "Tempo até reconhecer",
        "time_to_first_notice": "Tempo até o primeiro aviso",
        "time_to_restore": "Tempo até restabelecer", "time_to_verify": "Tempo até verificar",
        "impact_numbers": "Impacto", "executive_summary": "Resumo executivo",
        "customer_impact": "Impacto para os clientes", "lead_up": "Antecedentes",
        "trigger": "Gatilho", "fault": "Falha", "detection": "Detecção", "response": "Resposta",
        "recovery": "Recuperação", "root_causes": "Causas raiz",
        "contributing_factors": "Fatores contribuintes", "five_whys": "Cinco porquês",
        "why": "Por quê", "lessons": "Lições", "went_well": "O que deu certo",
        "went_wrong": "O que deu errado", "got_lucky": "Onde tivemos sorte",
        "timeline": "Linha do tempo", "time": "Hora (UTC)", "offset": "Desde o impacto",
        "event": "O que aconteceu", "actor": "Quem", "action_items": "Ações",
        "item": "Ação", "type": "Tipo", "owner": "Responsável", "due": "Prazo",
        "priority": "Prioridade", "ticket": "Chamado", "overdue": "atrasada",
        "completion": "Conclusão", "communications": "Comunicação",
        "charts": "Gráficos de apoio", "signal_chart": "Sinal que disparou o alerta",
        "not_written": "Ainda não escrito.", "none": "Nenhum.", "not_yet": "—",
        "key_moments": "Momentos-chave", "hidden_entries": "Entradas ocultadas como ruído",
        "omitted_entries": "Entradas fora deste PDF (todos os momentos-chave ficam; as versões HTML "
        "e Markdown têm a linha do tempo completa)", "item_status": "Situação",
        "impact_start_entry": "Início do impacto (primeira amostra ruim)",
        "generated": "Gerado em", "page": "Página", "of": "de", "summary_page": "Resumo em uma página",
        "no_communications": "Nenhum aviso público foi publicado para este incidente.",
        "no_signal": "Sem dados de sinal: nem a expressão da regra de alerta nem a série ALERTS "
        "têm amostras no armazenamento de séries na janela deste incidente.",
        "slo_status": "Orçamentos de erro dos SLOs", "no_slos": "Nenhum SLO configurado.",
        "slo": "SLO", "budget_remaining": "Orçamento de erro restante", "slo_no_data": "sem dados",
        "items_by_team": "Ações por equipe", "team": "Equipe", "closed": "Concluídas",
        "open_items": "Abertas", "trend_charts": "Tendências", "per_day": "Incidentes por dia",
        "mttr_per_week": "Tempo médio de restauração por semana (minutos)",
        "charts_elsewhere": "Os gráficos de tendência estão nas versões HTML e PDF.",
        "digest": "Resumo de incidentes", "period": "Período", "incidents": "Incidentes",
        "by_severity": "Por severidade", "by_service": "Por serviço", "figures": "Tempos de resposta",
        "mean": "Média", "previous": "Período anterior", "change": "Variação",
        "mttd": "Tempo médio até detectar", "mtta": "Tempo médio até reconhecer",
        "mttr": "Tempo médio até restabelecer", "mttn": "Tempo médio até o primeiro aviso",
        "corrections": "Correções publicadas", "retractions": "Retratações publicadas",
        "items_opened": "Ações abertas", "items_closed": "Ações concluídas",
        "items_overdue": "Ações atrasadas", "repeats": "Incidentes repetidos",
        "postmortems_published": "Postmortems publicados", "no_incidents":
        "Nenhum incidente neste período. Nada foi detectado, relatado ou declarado entre "
        "essas datas; os números abaixo estão vazios, não omitidos.",
        "count": "Quantidade", "title": "Título", "week": "semana", "month": "mês",
        "quarter": "trimestre", "reason": "Motivo", "annotation": "Anotação",
    },
}
WORDS: dict[str, dict[str, str]] = {
    "pt-BR": {
        "detected": "detectado", "acknowledged": "reconhecido", "identified": "identificado",
        "fixing": "corrigindo", "verifying": "verificando", "regressed": "regrediu",
        "resolved": "resolvido", "reopened": "reaberto", "retracted": "retratado",
        "draft": "rascunho", "in_review": "em revisão", "reviewed": "revisado",
        "published": "publicado", "open": "aberta", "in_progress": "em andamento",
        "done": "concluída", "wont_do": "não será feita", "prevent": "prevenir",
        "mitigate": "mitigar", "detect": "detectar", "process": "processo", "repair": "reparar",
        "investigate": "investigar",
    },
}


def t(lang: str, key: str) -> str:
    return LABELS[lang][key]


def word(lang: str, value: str) -> str:
    """A state/status/type value in ``lang`` (English values are shown as they are)."""
    return WORDS.get(lang, {}).get(value, value.replace("_", " "))


def duration(delta: timedelta | float | None, lang: str = "en") -> str:
    if delta is None:
        return LABELS[lang]["not_yet"]
    seconds = int(delta.total_seconds() if isinstance(delta, timedelta) else delta)
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    h, m = ("h", "m") if lang == "en" else (" h", " min")
    if days:
        return f"{sign}{days}d {hours}{h}"
    if hours:
        return f"{sign}{hours}{h} {minutes:02d}{m}"
    if minutes:
        return f"{sign}{minutes}{m} {secs:02d}s"
    return f"{sign}{secs}s"


_PHRASES: dict[str, dict[str, str]] = {
    EventType.INCIDENT_OPENED: {"en": "Incident opened: {title}", "pt-BR": "Incidente aberto: {title}"},
    EventType.INCIDENT_TRANSITIONED: {"en": "State {from_} → {to}", "pt-BR": "Estado {from_} → {to}"},
    EventType.ALERT_ATTACHED: {"en": "Alert {alertname} fired", "pt-BR": "Alerta {alertname} disparou"},
    EventType.ALERT_RESOLVED: {"en": "Alert {alertname} resolved",
                       "pt-BR": "Alerta {alertname} normalizou"},
    EventType.ALERTS_ALL_RESOLVED: {"en": "All alerts resolved",
                            "pt-BR": "Todos os alertas normalizaram"},
    EventType.NOTE_ADDED: {"en": "Note: {text}", "pt-BR": "Nota: {text}"},
    EventType.SEVERITY_CHANGED: {"en": "Severity {from_} → {to}", "pt-BR": "Severidade {from_} → {to}"},
    EventType.COMMANDER_ASSIGNED: {"en": "Incident commander: {commander}",
                           "pt-BR": "Comandante do incidente: {commander}"},
    EventType.INCIDENT_LINKED: {"en": "Linked to {key} ({relation})",
                        "pt-BR": "Vinculado a {key} ({relation})"},
    EventType.FIX_DEPLOYED: {"en": "Fix deployed: {description}", "pt-BR": "Correção implantada: {description}"},
    EventType.NOTICE_PUBLISHED: {"en": "Public notice published", "pt-BR": "Aviso público publicado"},
    EventType.NOTICE_UPDATED: {"en": "Public notice updated", "pt-BR": "Aviso público atualizado"},
    EventType.NOTICE_CORRECTED: {"en": "Correction published", "pt-BR": "Correção do aviso publicada"},
    EventType.NOTICE_RETRACTED: {"en": "Retraction published", "pt-BR": "Retratação publicada"},
}
_TEXT_FIELDS = ("title", "headline", "summary", "text", "body", "message", "description")


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _scalar_summary(payload: dict[str, Any], limit: int = 160) -> str:
    parts = [f"{k}={v}" for k, v in sorted(payload.items())
             if isinstance(v, str | int | float | bool) and v != ""]
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(entry: Entry, lang: str = "en") -> str:
    """One sentence for an entry; unknown event types show their type and scalar fields."""
    payload = entry.payload
    if entry.type == IMPACT_STARTED:
        return LABELS[lang]["impact_start_entry"]
    phrase = _PHRASES.get(entry.type, {}).get(lang)
    if phrase is None:
        summary = _scalar_summary(payload)
        return f"{entry.type}: {summary}" if summary else entry.type
    values = _Missing(payload)
    values["from_"] = word(lang, str(payload.get("from", "?")))
    if "to" in payload:
        values["to"] = word(lang, str(payload["to"]))
    text = phrase.format_map(values)
    if entry.type == EventType.FIX_DEPLOYED and payload.get("release"):
        text += f" ({payload['release']})"
    if entry.type in NOTICE_VERSIONS:
        detail = next((str(payload[f]) for f in _TEXT_FIELDS if payload.get(f)), "")
        meta = ", ".join(str(payload[k]) for k in ("lang", "kind") if payload.get(k))
        text += f" [{meta}]" if meta else ""
        text += f": {detail}" if detail else ""
    if payload.get("reason"):
        text += f" — {payload['reason']}"
    return text
