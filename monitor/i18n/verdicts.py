"""Fix verification in words: verdicts, their reasons, impact figures, in en and pt-BR.

A verdict event stores its reasons as data — ``{"code": "errors_above", "errors": 120,
"requests": 4000, …}`` — and :func:`reason` writes one in the reader's language::

    >>> reason({"code": "low_traffic", "requests": 120, "min_requests": 500}, "pt-BR")
    'pouco tráfego: 120 requisições na janela de observação, menos que min_requests = 500'

Events written before reasons had codes hold an English sentence: it comes back as it is
(it is data now). The public words for the status page's closing notice are in
:class:`ImpactWords` (no PromQL, no jargon).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from monitor.i18n import Catalogue, Choice, Msg, Plural, duration, number, when

__all__ = ["TRANSITION_CODES", "ImpactWords", "Verdicts", "outcome", "percent", "reason", "reasons",
           "transition_reason"]


class Verdicts(Catalogue):
    """What fix verification says, for responders (CLI, API, demo, postmortem timeline)."""

    outcome = Choice({
        "verified": Msg("verified", "verificada"),
        "regressed": Msg("regressed", "regrediu"),
        "inconclusive": Msg("inconclusive", "inconclusiva"),
        "error": Msg("error", "erro"),
    })
    verdict = Msg("Verdict on fix {fix}: {outcome}", "Veredito sobre a correção {fix}: {outcome}")
    verdict_no_fix = Msg("Verdict: {outcome}", "Veredito: {outcome}")
    reason = Choice({
        "active_again": Msg("the alert expression became active again at {first} after it had "
                            "gone inactive ({samples} steps active during the soak)",
                            "a expressão do alerta voltou a ficar ativa às {first} depois de ter "
                            "ficado inativa ({samples} passos ativos na janela de observação)"),
        "never_inactive": Msg("the alert expression was still active at {deadline}: it never went "
                              "inactive within {wait} of the fix",
                              "a expressão do alerta ainda estava ativa às {deadline}: não ficou "
                              "inativa em até {wait} depois da correção"),
        "still_firing": Msg("the alert {alertname} was still firing {wait} after verification "
                            "began",
                            "o alerta {alertname} ainda disparava {wait} depois do início da "
                            "verificação"),
        "refired": Msg("alert {alertname} fired again while the fix was being verified",
                       "o alerta {alertname} disparou de novo durante a verificação da correção"),
        "errors_above": Msg("error ratio {errors}/{requests} = {ratio} is significantly above the "
                            "allowed {allowed} (baseline {baseline}): p {p}",
                            "taxa de erros {errors}/{requests} = {ratio} está significativamente "
                            "acima da permitida, {allowed} (referência {baseline}): p {p}"),
        "latency_worse": Msg("latency is significantly higher: median {soak} against {baseline} "
                             "(p {p})",
                             "a latência está significativamente maior: mediana {soak} contra "
                             "{baseline} (p {p})"),
        "errors_within": Msg("error ratio {errors}/{requests} = {ratio} is within the allowed "
                             "{allowed} (baseline {baseline}) with {confidence} confidence "
                             "(p {p})",
                             "taxa de erros {errors}/{requests} = {ratio} está dentro da "
                             "permitida, {allowed} (referência {baseline}), com {confidence} de "
                             "confiança (p {p})"),
        "undecided": Msg("not enough evidence either way: error ratio {errors}/{requests} = "
                         "{ratio}, allowed {allowed} (baseline {baseline}), p above {p_above}, "
                         "p below {p_below}",
                         "evidência insuficiente para decidir: taxa de erros {errors}/{requests} "
                         "= {ratio}, permitida {allowed} (referência {baseline}), p acima "
                         "{p_above}, p abaixo {p_below}"),
        "no_soak_requests": Msg("no signal: the soak window has no request samples",
                                "sem sinal: a janela de observação não tem amostras de "
                                "requisições"),
        "no_baseline": Msg("no baseline: no request samples before impact start",
                           "sem referência: nenhuma amostra de requisições antes do início do "
                           "impacto"),
        "low_traffic": Msg("too little traffic: {requests} requests in the soak, fewer than "
                           "min_requests = {min_requests}",
                           "pouco tráfego: {requests} requisições na janela de observação, menos "
                           "que min_requests = {min_requests}"),
        "gaps": Msg("gaps in the data: samples cover {coverage} of the soak, less than "
                    "min_coverage = {min_coverage}",
                    "lacunas nos dados: as amostras cobrem {coverage} da janela de observação, "
                    "menos que min_coverage = {min_coverage}"),
        "no_signal": Msg("no signal: neither the triggering rule's expression nor request series "
                         "for the incident's service are reachable",
                         "sem sinal: nem a expressão da regra que disparou nem as séries de "
                         "requisições do serviço do incidente estão acessíveis"),
        "no_source": Msg("no signal source is configured",
                         "nenhuma fonte de sinal está configurada"),
        "query_failed": Msg("a verification query failed: {detail}",
                            "uma consulta da verificação falhou: {detail}"),
        "extended": Msg("window extended once, to {length}",
                        "janela estendida uma vez, para {length}"),
        "person_decides": Msg("already extended once: a person decides (resolve, or move the "
                              "incident back to fixing)",
                              "já estendida uma vez: uma pessoa decide (resolver, ou voltar o "
                              "incidente para correção)"),
    })
    regressed_after = Msg("regressed after fix {fix}: {reason}",
                          "regrediu após a correção {fix}: {reason}")
    back_to_fixing = Msg("back to fixing after the regression",
                         "de volta à correção após a regressão")
    fix_recorded = Msg("fix {fix} recorded; verifying it from the signal",
                       "correção {fix} registrada; verificando-a pelo sinal")
    reopened = Msg("alert {alertname} fired again within the reopen window ({window})",
                   "o alerta {alertname} disparou de novo dentro da janela de reabertura ({window})")
    verified_because = Msg("verified: {reason}", "verificada: {reason}")
    soak = Msg("soak {start} → {end} ({length}); baseline {baseline}",
               "observação {start} → {end} ({length}); referência {baseline}")
    baseline_kind = Choice({
        "time of day, a day earlier": Msg("same time of day, a day earlier",
                                          "mesmo horário, um dia antes"),
        "before impact start": Msg("before impact start", "antes do início do impacto"),
    })
    settled = Msg("the alert expression went inactive at {inactive} ({lag} after {since}); "
                  "allowed wait {wait}",
                  "a expressão do alerta ficou inativa às {inactive} ({lag} após {since}); "
                  "espera permitida {wait}")
    impact_measured = Msg("Impact measured from the series: started {start}",
                          "Impacto medido pelas séries: começou às {start}")
    impact_ended = Msg(", ended {end}", ", terminou às {end}")


class ImpactWords(Catalogue):
    """Impact figures: the postmortem's Impact section and the status page's closing notice."""

    section = Msg("Impact measured from the signal", "Impacto medido pelo sinal")
    intro = Msg("Measured from the series; each figure can be checked by running its query.",
                "Medido pelas séries; cada número pode ser conferido executando sua consulta.")
    started = Msg("Impact started", "Início do impacto")
    ended = Msg("Impact ended", "Fim do impacto")
    lasted = Msg("Duration", "Duração")
    affected_requests = Msg("Failed requests", "Requisições com falha")
    total_requests = Msg("Requests in the impact window", "Requisições na janela do impacto")
    errors_served = Msg("Errors served", "Erros servidos")
    affected_users = Msg("Affected users", "Usuários afetados")
    peak_error_ratio = Msg("Peak error ratio", "Pico da taxa de erros")
    budget = Msg("Error budget consumed ({slo})", "Orçamento de erros consumido ({slo})")
    figure = Msg("Figure", "Número")
    value = Msg("Value", "Valor")
    query = Msg("Query", "Consulta")
    queries = Msg("Queries", "Consultas")
    still_ongoing = Msg("still ongoing", "ainda em curso")
    not_measured = Msg("not measured: no signal", "não medido: sem sinal")
    none_measured = Msg("Impact was not measured: no signal data for this incident.",
                        "O impacto não foi medido: não há dados de sinal para este incidente.")
    revision = Msg("Measurement {n} ({reason})", "Medição {n} ({reason})")
    revision_reason = Choice({
        "measured from the series": Msg("measured from the series", "medido pelas séries"),
        "late data changed the figures": Msg("late data changed the figures",
                                             "dados atrasados mudaram os números"),
    })
    # the public closing notice: plain words, no queries
    public_lasted = Msg("The problem lasted about {duration}, from {start} to {end}.",
                        "O problema durou cerca de {duration}, de {start} a {end}.")
    public_failed = Plural(Msg("{n} request failed out of {total} in that time.",
                               "{n} requisição falhou de {total} nesse período."),
                           Msg("{shown} requests failed out of {total} in that time.",
                               "{shown} requisições falharam de {total} nesse período."))
    public_users = Msg("About {users} people were affected.",
                       "Cerca de {users} pessoas foram afetadas.")
    public_not_measured = Msg("We could not measure how many requests failed.",
                              "Não conseguimos medir quantas requisições falharam.")


def percent(value: float | None, lang: str, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{number(100 * value, lang, digits=digits)}%"


P_FLOOR = 1e-4
"""Below this a p-value reads "< 0.0001": a test's p of 0.0 is an underflow, not certainty."""


def p_value(value: Any) -> str:
    """A p-value with its relation, to follow "p": "= 0.0123", "< 0.0001", or "—" without one."""
    if not isinstance(value, int | float):
        return "—"
    return f"< {P_FLOOR:g}" if value < P_FLOOR else f"= {float(value):.3g}"


def _seconds(value: Any, lang: str) -> str:
    return f"{number(float(value), lang, digits=3)} s" if isinstance(value, int | float) else "—"


def reason(item: Mapping[str, Any] | str, lang: str) -> str:
    """One reason in ``lang``; an English sentence from an older event comes back unchanged."""
    if isinstance(item, str):
        return item
    code = str(item.get("code", ""))
    if code not in Verdicts.reason:
        return ", ".join(f"{k}={v}" for k, v in sorted(item.items()))
    values: dict[str, Any] = {k: v for k, v in item.items() if k != "code"}
    for name in ("ratio", "allowed", "baseline", "coverage", "min_coverage", "confidence"):
        if isinstance(values.get(name), int | float) and code != "latency_worse":
            values[name] = percent(values[name], lang, 0 if name in (
                "coverage", "min_coverage", "confidence") else 4)
    for name in ("p", "p_above", "p_below"):
        if name in values:
            values[name] = p_value(values[name])
    for name in ("errors", "requests", "min_requests", "samples"):
        if isinstance(values.get(name), int | float):
            values[name] = number(values[name], lang, digits=0)
    for name in ("first", "deadline"):
        if values.get(name):
            values[name] = when(values[name], lang, seconds=True)
    for name in ("wait", "length"):
        if isinstance(values.get(name), int | float):
            values[name] = duration(values[name], lang)
    if code == "latency_worse":
        values["soak"], values["baseline"] = (_seconds(values.get("soak"), lang),
                                              _seconds(values.get("baseline"), lang))
    return Verdicts.reason.words[code].text(lang).format_map(_Filled(values))


class _Filled(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "—"


def reasons(payload: Mapping[str, Any], lang: str) -> list[str]:
    """Every reason of a verdict event, in ``lang``."""
    raw = payload.get("reasons") or []
    return [reason(r, lang) for r in raw if isinstance(r, Mapping | str)]


def outcome(value: str, lang: str) -> str:
    return Verdicts.outcome(lang, value)


def fix_text(fix: str | None, lang: str, value: str) -> str:
    return (Verdicts.verdict(lang, fix=fix, outcome=outcome(value, lang)) if fix
            else Verdicts.verdict_no_fix(lang, outcome=outcome(value, lang)))


def lines(items: Sequence[Mapping[str, Any] | str], lang: str) -> list[str]:
    return [reason(r, lang) for r in items]


TRANSITION_CODES = ("regressed", "back_to_fixing", "fix_recorded", "verified", "reopened")


def transition_reason(code: str, values: Mapping[str, Any], lang: str) -> str:
    """The reason of a transition fix verification made (``reason_code`` + ``reason_values``)."""
    verdict = values.get("verdict_reason")
    why = reason(verdict, lang) if isinstance(verdict, Mapping | str) else ""
    if code == "regressed":
        fix = values.get("fix")
        return Verdicts.regressed_after(lang, fix=fix, reason=why) if fix else why
    if code == "back_to_fixing":
        return Verdicts.back_to_fixing(lang)
    if code == "fix_recorded":
        return Verdicts.fix_recorded(lang, fix=values.get("fix", "—"))
    if code == "verified":
        return Verdicts.verified_because(lang, reason=why)
    if code == "reopened":
        text = Verdicts.reopened(lang, alertname=values.get("alertname", "—"),
                                 window=duration(values.get("window"), lang))
        fix = values.get("fix")
        return Verdicts.regressed_after(lang, fix=fix, reason=text) if fix else text
    return ""
