"""The demo story as a postmortem: builds it in a store and writes the example reports.

``demo_incident(session, clock, settings)`` plays an EVERLINKS incident through
the incident service (alert, acknowledgement, notices, a correction, a fix,
verification) and writes its postmortem, overlays and action items.
``write_examples(out_dir)`` renders it to Markdown, HTML and PDF in both
languages plus a weekly digest; ``python -m postmortem.examples docs/examples``
regenerates the committed files (the tests compare the text ones).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlmodel import Session

from monitor import db
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.event_types import EventType
from monitor.i18n.verdicts import transition_reason
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import State
from monitor.incidents.models import Incident
from monitor.promql import MemoryStorage
from monitor.promsource import EmbeddedSource
from monitor.rules.loader import parse_rules
from postmortem import service
from postmortem.digest import load_digest
from postmortem.models import ActionItemCreate, AnnotationCreate, ContentPatch, ItemType, Why
from postmortem.render import render
from postmortem.report import draw_chart, load
from postmortem.signal import SignalSource

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IMPACT = START - timedelta(minutes=2)


def signal(start: datetime = IMPACT) -> list[tuple[datetime, float]]:
    """Share of redirects answered with 5xx, one point per 30 s, 08:40–10:00."""
    points = []
    for step in range(160):
        at = start - timedelta(minutes=18) + timedelta(seconds=30 * step)
        minutes = (at - start).total_seconds() / 60
        if 0 <= minutes < 20:
            value = 0.31 + 0.004 * (step % 3)
        elif 20 <= minutes < 24:
            value = 0.31 * (24 - minutes) / 4
        else:
            value = 0.004 + 0.001 * (step % 2)
        points.append((at, round(value * 100, 2)))
    return points


RULES = """
groups:
  - name: redirector
    rules:
      - alert: RedirectErrorsHigh
        expr: redirect_error_ratio{service="redirector"} > 0.05
        for: 1m
        annotations:
          summary: "Share of short links that fail to open ({{ $labels.region }})"
          summary_pt_BR: "Parcela de links curtos que não abrem ({{ $labels.region }})"
"""


def signal_source() -> SignalSource:
    """The demo's series store and rule: the chart goes through the same path as a live one."""
    storage = MemoryStorage()
    labels = {"__name__": "redirect_error_ratio", "service": "redirector", "region": "sa-east-1"}
    storage.add(labels, [(int(at.timestamp() * 1000), round(v / 100, 5)) for at, v in signal()])
    rules, problems = parse_rules(RULES, "examples.RULES")
    assert not problems, problems
    return SignalSource(EmbeddedSource(storage), rules.groups)


# What people wrote during and after the incident, as a team working in each language would.
WRITTEN: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Short links return errors in South America",
        "summary": "About a third of redirects on everlinks.io failed with HTTP 502.",
        "note": "502s come from redirector pods in sa-east-1 only, starting right after config "
                "push 2026-03-02.1.",
        "identified": "config push 2026-03-02.1 set a wrong upstream pool size",
        "fix": "Roll back redirector config to 2026-02-27.3",
        "notice": ("Some short links are failing", "Some short links fail to open. We are working "
                   "on it and will update here within 30 minutes."),
        "correction": ("Correction: only South America was affected", "Our first notice said all "
                       "users; only visitors in South America were affected."),
        "resolved": ("Resolved: short links work again", "Short links work again since 09:21 UTC. "
                     "We are sorry for the disruption."),
        "hide": "duplicate of the first alert",
        "key_note": "This observation narrowed the search to one push.",
        "content": {
            "executive_summary": "For 23 minutes on 2 March, about a third of short links opened "
            "from South America failed with an error page. A configuration change sent traffic to "
            "too few servers. We rolled it back; links have worked normally since 09:21 UTC.",
            "customer_impact": "Visitors in South America saw an error page on roughly 31% of "
            "short links for 23 minutes: 48,210 failed redirects, about 12,400 people.",
            "lead_up": "A routine configuration push (2026-03-02.1) resized the upstream pool of "
            "the redirector in every region at 08:57 UTC.",
            "trigger": "The new pool size was read as an absolute count in sa-east-1, where the "
            "region template uses a different unit, leaving 2 upstreams instead of 20.",
            "fault": "With 2 upstreams the redirector in sa-east-1 queued requests until they "
            "timed out and answered 502.",
            "response": "The on-call engineer acknowledged in 3 minutes and took command. A note "
            "tying the 502s to the push narrowed the search; the first public notice went out at "
            "T+11m.",
            "recovery": "Rolling the configuration back at 09:18 UTC restored service within "
            "three minutes; verification watched the signal for 15 minutes before resolving.",
            "root_causes": ["Region templates interpret pool_size in different units, and nothing "
                            "checks it before a push."],
            "contributing_factors": ["The config push has no canary region.",
                                     "The first notice said all users were affected; it was "
                                     "corrected."],
            "five_whys": [
                ("Why did redirects fail?", "The sa-east-1 pool had 2 upstreams."),
                ("Why only 2?", "The template read pool_size as a count, not a %."),
                ("Why did the units differ?", "sa-east-1 was set up from an older template."),
                ("Why was the difference not caught?", "Config pushes are not validated per "
                 "region."),
                ("Why is there no validation?", "Pushes were assumed to be uniform across "
                 "regions."),
            ],
            "went_well": ["Alert fired 2 minutes after impact started.",
                          "Rollback took under 3 minutes."],
            "went_wrong": ["The first notice overstated the affected area."],
            "got_lucky": ["The push happened outside the South American evening peak."],
        },
        "items": ("Validate pool_size units per region before every config push",
                  "Canary config pushes in one region for 10 minutes",
                  "Alert on upstream pool size below 50% of baseline",
                  "Notice template: state the affected region explicitly"),
        "others": ("Slow redirects in Europe", "Link creation API errors",
                   "Redirect errors after cache flush", "Click counts delayed (false alarm)"),
        "retracted": "the alert's query counted test traffic",
        "still_open": "Link previews show no image",
    },
    "pt-BR": {
        "title": "Links curtos com erro na América do Sul",
        "summary": "Cerca de um terço dos redirecionamentos em everlinks.io falhou com HTTP 502.",
        "note": "Os 502 vêm só dos pods do redirector em sa-east-1, logo depois do push de "
                "configuração 2026-03-02.1.",
        "identified": "o push de configuração 2026-03-02.1 definiu um tamanho errado de pool",
        "fix": "Reverter a configuração do redirector para 2026-02-27.3",
        "notice": ("Alguns links curtos estão falhando", "Alguns links curtos não abrem. Estamos "
                   "trabalhando nisso e atualizamos aqui em até 30 minutos."),
        "correction": ("Correção: só a América do Sul foi afetada", "Nosso primeiro aviso falava "
                       "em todos os usuários; só visitantes na América do Sul foram afetados."),
        "resolved": ("Resolvido: os links curtos voltaram a funcionar", "Os links curtos "
                     "funcionam de novo desde as 9h21 (UTC). Pedimos desculpas pelo transtorno."),
        "hide": "duplicado do primeiro alerta",
        "key_note": "Esta observação reduziu a busca a um único push.",
        "content": {
            "executive_summary": "Por 23 minutos em 2 de março, cerca de um terço dos links "
            "curtos abertos na América do Sul mostrou uma página de erro. Uma mudança de "
            "configuração mandou o tráfego para servidores de menos. Nós a revertemos; os links "
            "funcionam normalmente desde as 9h21 (UTC).",
            "customer_impact": "Visitantes na América do Sul viram uma página de erro em cerca de "
            "31% dos links curtos por 23 minutos: 48.210 redirecionamentos falharam, cerca de "
            "12.400 pessoas.",
            "lead_up": "Um push de configuração de rotina (2026-03-02.1) mudou o tamanho do pool "
            "do redirector em todas as regiões às 8h57 (UTC).",
            "trigger": "O novo tamanho foi lido como número absoluto em sa-east-1, onde o modelo "
            "da região usa outra unidade: ficaram 2 servidores em vez de 20.",
            "fault": "Com 2 servidores, o redirector em sa-east-1 enfileirou pedidos até o tempo "
            "esgotar e respondeu 502.",
            "response": "A pessoa de plantão reconheceu em 3 minutos e assumiu o comando. Uma nota "
            "ligando os 502 ao push reduziu a busca; o primeiro aviso público saiu em T+11m.",
            "recovery": "Reverter a configuração às 9h18 (UTC) restabeleceu o serviço em três "
            "minutos; a verificação acompanhou o sinal por 15 minutos antes de resolver.",
            "root_causes": ["Os modelos das regiões interpretam pool_size em unidades diferentes, "
                            "e nada confere isso antes de um push."],
            "contributing_factors": ["O push de configuração não tem região canário.",
                                     "O primeiro aviso dizia que todos foram afetados; ele foi "
                                     "corrigido."],
            "five_whys": [
                ("Por que os redirecionamentos falharam?", "O pool de sa-east-1 tinha 2 servidores."),
                ("Por que só 2?", "O modelo leu pool_size como número, não como %."),
                ("Por que as unidades eram diferentes?", "sa-east-1 foi criada com um modelo "
                 "antigo."),
                ("Por que a diferença não foi notada?", "Os pushes de configuração não são "
                 "validados por região."),
                ("Por que não há validação?", "Supúnhamos que os pushes eram iguais em todas as "
                 "regiões."),
            ],
            "went_well": ["O alerta disparou 2 minutos depois do início do impacto.",
                          "A reversão levou menos de 3 minutos."],
            "went_wrong": ["O primeiro aviso exagerou a área afetada."],
            "got_lucky": ["O push aconteceu fora do pico da noite na América do Sul."],
        },
        "items": ("Validar as unidades de pool_size por região antes de cada push",
                  "Push de configuração canário em uma região por 10 minutos",
                  "Alerta quando o pool ficar abaixo de 50% do normal",
                  "Modelo de aviso: dizer a região afetada com clareza"),
        "others": ("Redirecionamentos lentos na Europa", "Erros na API de criação de links",
                   "Erros de redirecionamento depois de limpar o cache",
                   "Contagem de cliques atrasada (alarme falso)"),
        "retracted": "a consulta do alerta contou tráfego de teste",
        "still_open": "As prévias de links aparecem sem imagem",
    },
}


_SELECTOR = 'http_server_request_duration_seconds_count{service="redirector"'
_ENDED = START + timedelta(minutes=20)
EXAMPLE_IMPACT: dict[str, Any] = {
    "started_at": IMPACT.isoformat(), "ended_at": _ENDED.isoformat(),
    "duration_seconds": (_ENDED - IMPACT).total_seconds(),
    "affected_requests": 48210.0, "total_requests": 351400.0, "errors_served": 48210.0,
    "affected_users": None, "peak_error_ratio": 0.31,
    "error_budget": [{"slo": "redirect-availability", "service": "redirector", "objective": 0.999,
                      "window": "28d", "bad_events": 48210.0, "budget_consumed": 0.385}],
    "queries": {
        "error_ratio": f'(sum(rate({_SELECTOR},http_response_status_code=~"5.."}}[30s])) or vector(0))'
                       f" / sum(rate({_SELECTOR}}}[30s]))",
        "affected_requests": f'(sum(rate({_SELECTOR},http_response_status_code=~"5.."}}[22m]))) * 1320'
                             f" @ {_ENDED.timestamp():.3f}",
        "total_requests": f"(sum(rate({_SELECTOR}}}[22m]))) * 1320 @ {_ENDED.timestamp():.3f}",
        "errors_served": 'sum(rate(candor_app_errors_total{service="redirector"}[22m])) * 1320'
                         f" @ {_ENDED.timestamp():.3f}",
        "slo:redirect-availability:bad": f'(sum(rate({_SELECTOR},http_response_status_code=~"5.."}}[22m])))'
                                         f" * 1320 @ {_ENDED.timestamp():.3f}",
    },
    "step_seconds": 15.0, "allowed_ratio": 0.0013, "revision": 1, "reason": "measured from the series",
}
"""The impact the example's verifier measured (what an ``impact.measured`` event holds)."""


def demo_incident(session: Session, clock: FixedClock, settings: Settings, lang: str = "en") -> Incident:
    """The EVERLINKS incident, as people working in ``lang`` would have written it."""
    words = WRITTEN[lang]

    def at(minutes: float) -> None:
        clock.set(START + timedelta(minutes=minutes))

    def record(type: str, payload: dict[str, Any], actor: str) -> None:
        incidents.record(session, incident, type, payload, actor=actor, clock=clock)

    at(0)
    incident = incidents.open_incident(
        session, clock=clock, key_prefix=settings.incidents.key_prefix, actor="alertmanager",
        title=words["title"], severity="SEV2", summary=words["summary"],
        services=["redirector"], labels={"alertname": "RedirectErrorsHigh", "service": "redirector"},
        group_key="alertname=RedirectErrorsHigh,service=redirector", impact_started_at=IMPACT,
    )
    alert = {"fingerprint": "9f2c1ab04e", "alertname": "RedirectErrorsHigh",
             "labels": {"service": "redirector", "region": "sa-east-1"}, "source": "alertmanager"}
    record(EventType.ALERT_ATTACHED, alert, "alertmanager")
    at(1.5)
    record(EventType.ALERT_ATTACHED, {**alert, "fingerprint": "9f2c1ab04e-dup"}, "alertmanager")
    at(3)
    incidents.transition(session, incident, State.ACKNOWLEDGED, actor="@ana", clock=clock)
    incidents.assign_commander(session, incident, "@ana", actor="@ana", clock=clock)
    at(6)
    incidents.add_note(session, incident, words["note"], actor="@bruno", clock=clock)
    at(9)
    record(EventType.NOTICE_PUBLISHED, {"lang": lang, "kind": "initial", "version": 1,
           "title": words["notice"][0], "text": words["notice"][1]}, "@carla")
    at(12)
    incidents.transition(session, incident, State.IDENTIFIED, actor="@ana", clock=clock,
                         reason=words["identified"])
    at(15)
    incidents.transition(session, incident, State.FIXING, actor="@ana", clock=clock)
    at(18)
    incidents.record_fix(session, incident, words["fix"],
                         release="redirector-config 2026-02-27.3", actor="@bruno", clock=clock)
    at(21)
    record(EventType.ALERT_RESOLVED, {"fingerprint": "9f2c1ab04e", "alertname": "RedirectErrorsHigh"},
           "alertmanager")
    record(EventType.ALERTS_ALL_RESOLVED, {}, "candor")  # verifying since the fix (18)
    at(25)
    record(EventType.NOTICE_CORRECTED, {"lang": lang, "kind": "correction", "version": 2,
           "title": words["correction"][0], "text": words["correction"][1]}, "@carla")
    at(36)
    why = {"code": "errors_within", "errors": 41, "requests": 182000, "ratio": 0.000225,
           "allowed": 0.0013, "baseline": 0.0002, "confidence": 0.99, "p": 1.2e-40}
    record(EventType.VERIFICATION_VERDICT, {
        "outcome": "verified", "fix": "INC-1/fix-1",
        "window": {"start": (START + timedelta(minutes=21)).isoformat(),
                   "end": (START + timedelta(minutes=36)).isoformat(), "length": "15m"},
        "reasons": [why],
        "tests": {"errors": {"test": "exact binomial, one-sided (scipy.stats.binomtest)",
                             "soak_errors": 41, "soak_requests": 182000, "result": "below"}}},
        "candor-verifier")
    record(EventType.IMPACT_MEASURED, EXAMPLE_IMPACT, "candor-verifier")
    values = {"fix": "INC-1/fix-1", "verdict_reason": why}
    incidents.transition(session, incident, State.RESOLVED, actor="candor-verifier", clock=clock,
                         reason=transition_reason("verified", values, "en"), reason_code="verified",
                         reason_values=values)
    at(40)
    record(EventType.NOTICE_UPDATED, {"lang": lang, "kind": "update", "version": 3,
           "title": words["resolved"][0], "text": words["resolved"][1]}, "@carla")
    return incident


def write_postmortem(session: Session, clock: FixedClock, incident: Incident, settings: Settings,
                     lang: str = "en") -> None:
    words = WRITTEN[lang]
    at = clock.set
    at(START + timedelta(hours=2))
    pm = service.draft_for_incident(session, incident, clock, settings)
    assert pm is not None
    for seq, kind, text in ((3, "hide", words["hide"]), (6, "key_moment", ""),
                            (6, "note", words["key_note"])):
        service.annotate(session, incident, AnnotationCreate(event_seq=seq, kind=kind, text=text),
                         actor="@ana", clock=clock)
    content = dict(words["content"])
    content["five_whys"] = [Why(question=q, answer=a) for q, a in content["five_whys"]]
    at(START + timedelta(hours=3))
    service.edit(session, pm, ContentPatch(**content), actor="@ana", clock=clock)
    for title, (type, owner, days, priority) in zip(words["items"], (
        (ItemType.PREVENT, "@bruno", 14, "P1"),
        (ItemType.MITIGATE, "team:sre", 30, "P2"),
        (ItemType.DETECT, "@ana", 7, "P2"),
        (ItemType.PROCESS, "carla@everlinks.io", 10, "P3"),
    ), strict=True):
        service.add_item(session, incident, ActionItemCreate(
            title=title, type=type, owner=owner, due=clock.now().date() + timedelta(days=days),
            priority=priority, team="sre",
            ticket_url="https://tracker.everlinks.io/SRE-" + str(400 + days)), clock=clock)
    service.review(session, pm, "submit", actor="@ana", clock=clock, settings=settings)
    service.review(session, pm, "approve", actor="@dora", clock=clock, settings=settings)
    service.review(session, pm, "publish", actor="@dora", clock=clock, settings=settings)


def other_incidents(session: Session, clock: FixedClock, settings: Settings, lang: str = "en") -> None:
    """A few more incidents around the demo one, so the digest has trends and a repeat."""
    words = WRITTEN[lang]
    plays = (  # (days from START, minutes to detect/ack/notice/restore, severity, service, retract)
        (-5, (4, 6, 20, 45), "SEV3", "redirector", False),
        (-4, (3, 10, 0, 30), "SEV2", "api", False),
        (1, (1, 2, 8, 15), "SEV3", "redirector", False),
        (2, (5, 0, 0, 0), "SEV4", "analytics", True),
    )
    for title, (days, (detect, ack, notice, restore), severity, svc, retract) in zip(
            words["others"], plays, strict=True):
        impact = START + timedelta(days=days)
        clock.set(impact + timedelta(minutes=detect))
        incident = incidents.open_incident(
            session, clock=clock, key_prefix=settings.incidents.key_prefix, actor="alertmanager",
            title=title, severity=severity, services=[svc], group_key=f"service={svc}",
            impact_started_at=impact,
        )
        if retract:
            incidents.transition(session, incident, State.RETRACTED, actor="@ana", clock=clock,
                                 reason=words["retracted"])
            continue
        clock.set(impact + timedelta(minutes=detect + ack))
        incidents.transition(session, incident, State.ACKNOWLEDGED, actor="@ana", clock=clock)
        if notice:
            clock.set(impact + timedelta(minutes=notice))
            incidents.record(session, incident, EventType.NOTICE_PUBLISHED, {"lang": lang},
                             actor="@carla", clock=clock)
        clock.set(impact + timedelta(minutes=restore))
        incidents.transition(session, incident, State.VERIFYING, actor="candor", clock=clock)
        clock.set(impact + timedelta(minutes=restore + 15))
        incidents.transition(session, incident, State.RESOLVED, actor="candor-verifier", clock=clock)
    # one still open when the digest is written: leadership must see it is not closed
    impact = START + timedelta(days=4, hours=1)
    clock.set(impact + timedelta(minutes=3))
    incident = incidents.open_incident(
        session, clock=clock, key_prefix=settings.incidents.key_prefix, actor="alertmanager",
        title=words["still_open"], severity="SEV3", services=["previews"],
        group_key="service=previews", impact_started_at=impact)
    clock.set(impact + timedelta(minutes=9))
    incidents.transition(session, incident, State.ACKNOWLEDGED, actor="@bruno", clock=clock)


def build(engine: Any, settings: Settings, lang: str = "en") -> FixedClock:
    """The whole example story in one store, written by people working in ``lang``."""
    clock = FixedClock(START)
    with db.session(engine) as session:
        incident = demo_incident(session, clock, settings, lang)
        write_postmortem(session, clock, incident, settings, lang)
        other_incidents(session, clock, settings, lang)
    return clock


def example_documents(lang: str) -> tuple[Any, Any]:
    """The example report and weekly digest, from a store a team working in ``lang`` wrote
    (the drafts Candor prefills follow ``[postmortem] default_lang``)."""
    with TemporaryDirectory() as tmp:
        settings = Settings.model_validate({"storage": {"data_dir": tmp},
                                            "postmortem": {"default_lang": lang}})
        engine = db.make_engine(db.database_url(settings))
        db.upgrade(engine)
        try:
            build(engine, settings, lang)
            now = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
            with db.session(engine) as session:
                report = load(session, "INC-1", now=now, source=signal_source())
                digest = load_digest(session, "week", now, settings=settings)
        finally:
            engine.dispose()
    return report, digest


def write_examples(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for lang in ("en", "pt-BR"):
        report, digest = example_documents(lang)
        for fmt in ("md", "html", "pdf"):
            path = out_dir / f"postmortem-INC-1.{lang}.{fmt}"
            output = render(report, fmt, lang)
            path.write_bytes(output if isinstance(output, bytes) else output.encode())
            written.append(path)
        for fmt in ("md", "html", "pdf"):
            path = out_dir / f"digest-week.{lang}.{fmt}"
            output = render(digest, fmt, lang, template="digest")
            path.write_bytes(output if isinstance(output, bytes) else output.encode())
            written.append(path)
        chart = draw_chart(report, lang)
        assert chart, "the example incident has a signal chart"
        (out_dir / f"INC-1-signal.{lang}.svg").write_text(chart)
        written.append(out_dir / f"INC-1-signal.{lang}.svg")
    return written


def today() -> date:
    return START.date()


if __name__ == "__main__":
    for written_path in write_examples(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/examples")):
        print(written_path)
