"""Verdicts and impact in words: both languages from one set of numbers, no PromQL for the
public, "not measured" where there is no data, and older English reasons still readable."""

from __future__ import annotations

from monitor.i18n.verdicts import reason, reasons, transition_reason
from monitor.verification.words import impact_figures, impact_lines, public_impact, verdict_lines
from postmortem.examples import EXAMPLE_IMPACT


def test_the_public_impact_is_plain_words_in_each_language() -> None:
    en, pt = public_impact(EXAMPLE_IMPACT, "en"), public_impact(EXAMPLE_IMPACT, "pt-BR")
    assert en.startswith("The problem lasted about 22m 00s") and "48,210 requests failed out of 351,400" in en
    assert pt.startswith("O problema durou cerca de 22 min 00s") and "48.210 requisições falharam" in pt
    for text in (en, pt):
        assert "rate(" not in text and "{" not in text and "sum" not in text
    assert public_impact(None, "pt-BR") == "Não conseguimos medir quantas requisições falharam."
    unmeasured = public_impact({**EXAMPLE_IMPACT, "affected_requests": None}, "en")
    assert unmeasured.endswith("We could not measure how many requests failed.")


def test_a_figure_without_data_says_so_never_a_default() -> None:
    rows = {name: value for name, _, value, _ in impact_figures(EXAMPLE_IMPACT, "pt-BR")}
    assert rows["affected_users"] == "não medido: sem sinal" and rows["affected_requests"] == "48.210"
    assert impact_lines(None, "en") == ["Impact was not measured: no signal data for this incident."]
    ongoing = {n: v for n, _, v, _ in impact_figures({**EXAMPLE_IMPACT, "ended_at": None}, "en")}
    assert ongoing["ended_at"] == "still ongoing"


def test_old_english_reasons_stay_readable_and_new_ones_translate() -> None:
    old = {"outcome": "verified", "fix": "INC-1/fix-1", "reasons": ["error ratio 3/1600 is within"]}
    assert reasons(old, "pt-BR") == ["error ratio 3/1600 is within"]          # data now, as written
    first = verdict_lines(old, "pt-BR")[0]
    assert first == "Veredito sobre a correção INC-1/fix-1: verificada: error ratio 3/1600 is within"
    new = {"code": "never_inactive", "deadline": "2026-03-02T09:16:20+00:00", "wait": 680.0}
    assert reason(new, "en") == ("the alert expression was still active at 2026-03-02 09:16:20 UTC: it never "
                                 "went inactive within 11m 20s of the fix")
    assert reason(new, "pt-BR").startswith("a expressão do alerta ainda estava ativa às 02/03/2026 09:16:20 UTC")
    assert reason({"code": "made_up", "x": 1}, "en") == "code=made_up, x=1"   # unknown code: shown as data
    values = {"fix": "INC-1/fix-2", "alertname": "RedirectErrorRatioHigh", "window": 3600.0}
    assert transition_reason("reopened", values, "pt-BR") == (
        "regrediu após a correção INC-1/fix-2: o alerta RedirectErrorRatioHigh disparou de novo dentro "
        "da janela de reabertura (1 h 00 min)")


def test_a_p_value_too_small_to_print_reads_below_a_floor_never_zero() -> None:
    within = {"code": "errors_within", "errors": 3, "requests": 1599, "ratio": 0.001876,
              "allowed": 0.014286, "baseline": 0.002857, "confidence": 0.99}
    assert reason({**within, "p": 0.0}, "en").endswith("with 99% confidence (p < 0.0001)")
    assert reason({**within, "p": 0.0123}, "pt-BR").endswith("de confiança (p = 0.0123)")
