"""The notice linter: guide steps 2 and 3 as rules for ``monitor.textlint``.

It flags, per language (pt-BR, en):

* ``jargon.*`` (warning) — internal and technical terms users should not need
  ("5xx", "latency p99", "pod", "rollback", hostnames, stack traces); extend
  the lexicon in ``[comms.linter] jargon``;
* ``blame.*`` (error) — shifting responsibility ("our provider", "user
  error", "human error", "should have", "due to a third party");
* ``hedge.*`` (warning) — vague or minimising words ("may have", "possibly",
  "any inconvenience");
* ``leak.*`` (error) — internal data: IP addresses, e-mail addresses,
  tokens and keys, internal URLs and hostnames;
* ``markup.html`` (error) — HTML or script in the text (it is escaped when
  rendered, but a notice must be plain words);
* ``parts.missing`` (error) — a required part is empty (which parts depends
  on the kind: a correction says what was wrong and what is right);
* ``readability.*`` (warning) — sentences over the per-language word limit,
  and a low Flesch reading-ease score (Martins et al.'s adaptation for pt-BR).

Errors block publishing unless an admin overrides with a recorded reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.comms.models import Content, Kind
from monitor.config.comms import LinterConfig
from monitor.textlint import Finding, Rule, finding_at, lint, long_sentences, sentences

_JARGON_REASON = {
    "en": "technical term users may not know",
    "pt-BR": "termo técnico que o usuário pode não conhecer",
}
_JARGON_SUGGESTION = {
    "en": "describe what users saw instead of {match!r} (e.g. 'links did not open')",
    "pt-BR": "descreva o que o usuário viu em vez de '{match}' (ex.: 'os links não abriam')",
}

JARGON: dict[str, tuple[str, ...]] = {
    "en": (
        "latency", "p99", "p95", "p50", "pod", "pods", "kubernetes", "k8s", "rollback",
        "rolled back", "roll back", "deploy", "deployment", "hotfix", "failover", "upstream",
        "downstream", "endpoint", "endpoints", "load balancer", "cluster", "replica", "shard",
        "OOM", "OOMKilled", "out of memory", "stack trace", "exception", "null pointer",
        "segfault", "timeout", "timeouts", "cache", "CDN", "DNS", "database", "DB", "SLO",
        "error budget", "config", "microservice", "backend", "container", "node", "nodes",
        "throughput", "packet loss", "TLS", "certificate", "SQL", "query", "queries",
        "regression", "incident commander", "postmortem",
    ),
    "pt-BR": (
        "latência", "p99", "p95", "p50", "pod", "pods", "kubernetes", "k8s", "rollback",
        "deploy", "deployment", "hotfix", "failover", "upstream", "downstream", "endpoint",
        "endpoints", "load balancer", "balanceador de carga", "cluster", "réplica", "réplicas",
        "shard", "OOM", "stack trace", "exceção", "exception", "null pointer", "timeout",
        "timeouts", "cache", "CDN", "DNS", "banco de dados", "SLO", "error budget",
        "orçamento de erro", "config", "microsserviço", "microserviço", "backend", "container",
        "contêiner", "throughput", "vazão", "perda de pacotes", "TLS", "certificado", "SQL",
        "query", "queries", "consulta SQL", "regressão", "postmortem",
    ),
}

_STATUS_CODES = Rule(
    id="jargon.status-code",
    pattern=r"\b[1-5]xx\b|\b(?:HTTP|status|erro|error|código|code)\s*[1-5]\d\d\b|\b[45]\d\d\s+(?:errors?|erros?)\b",
    reason="HTTP status codes mean nothing to most users",
    suggestion="say what users saw: 'pages did not load' / 'as páginas não carregavam'",
)
_STACK = Rule(
    id="jargon.stack-trace",
    pattern=r"Traceback \(most recent call last\)|\bFile \"[^\"]+\", line \d+|"
    r"\bat [\w.$]+\([\w.]+:\d+\)|\b\w+(?:Error|Exception):",
    reason="stack traces and error class names are internal",
    suggestion="remove it; describe the effect on users",
)
_HOSTNAME = Rule(
    id="leak.hostname",
    pattern=r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:internal|local|lan|corp|svc|intra)\b"
    r"|\b[a-z]+(?:-[a-z0-9]+)*-(?:svc|prod|stg|db|worker|node)-?\d*[a-z0-9]*\b",
    reason="internal hostname or service name",
    suggestion="name the feature users know (e.g. 'short links') instead",
    severity="error",
)

_BLAME: dict[str, tuple[str, ...]] = {
    "en": (
        "our provider", "our providers", "our vendor", "our vendors", "our partner",
        "a third party", "third-party provider", "due to a third party", "third party",
        "user error", "human error", "operator error", "should have", "shouldn't have",
        "not our fault", "beyond our control", "outside our control", "caused by our provider",
        "you should have", "users who failed to", "an engineer", "a developer", "an employee",
        "the intern", "misconfigured by",
    ),
    "pt-BR": (
        "nosso provedor", "nossos provedores", "nosso fornecedor", "nossos fornecedores",
        "nosso parceiro", "de terceiros", "um terceiro", "terceiros", "erro do usuário",
        "erro dos usuários", "erro humano", "falha humana", "deveria ter", "deveriam ter",
        "não foi culpa nossa", "não é culpa nossa", "culpa do", "culpa da", "fora do nosso controle",
        "alheio à nossa vontade", "alheios à nossa vontade", "um engenheiro", "um desenvolvedor",
        "um funcionário", "o estagiário",
    ),
}
_BLAME_TEXT = {
    "en": ("shifts responsibility away from us; users hold us responsible",
           "say what we did and will do, with 'we': e.g. 'we made a change that broke …'"),
    "pt-BR": ("transfere a responsabilidade; o usuário nos considera responsáveis",
              "diga o que nós fizemos e faremos: ex.: 'nós fizemos uma mudança que …'"),
}
_HEDGE: dict[str, tuple[str, ...]] = {
    "en": (
        "may have", "might have", "possibly", "it appears", "it seems", "seems to", "appears to",
        "we believe", "some users may", "a small number of", "a limited number of", "minor",
        "slight", "brief", "any inconvenience", "if you were affected", "isolated",
    ),
    "pt-BR": (
        "pode ter", "podem ter", "possivelmente", "aparentemente", "parece que", "parece ter",
        "talvez", "eventualmente", "acreditamos que", "alguns usuários podem", "pequeno número",
        "número limitado", "qualquer inconveniente", "eventual transtorno",
        "eventuais transtornos", "se você foi afetado", "pontual", "pontuais", "isolado",
    ),
}
_HEDGE_TEXT = {
    "en": ("vague or minimising; users need to know exactly what happened",
           "state what we know plainly; say what we do not know yet"),
    "pt-BR": ("vago ou minimiza o problema; o usuário precisa saber exatamente o que houve",
              "diga com clareza o que sabemos e o que ainda não sabemos"),
}

_LEAKS = (
    Rule(id="leak.ip", pattern=r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
         r"|\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b",
         reason="IP address: internal data", suggestion="remove it", severity="error"),
    Rule(id="leak.email", pattern=r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b",
         reason="e-mail address: personal or internal data",
         suggestion="remove it; point to the support page instead", severity="error"),
    Rule(id="leak.token",
         pattern=r"\b(?:sk|pk|rk|ghp|gho|ghs|glpat|xox[abprs]|AKIA|whsec|cnd)[_-]?[A-Za-z0-9_\-]{12,}"
         r"|\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}|\bBearer\s+[\w\-.~+/]{12,}=*"
         r"|\b[A-Fa-f0-9]{32,}\b",
         reason="looks like a secret token or key", suggestion="remove it and rotate the secret",
         severity="error"),
    Rule(id="leak.internal-url",
         pattern=r"\bhttps?://(?:localhost|127\.0\.0\.1|10\.|192\.168\.|[^\s/]*\.(?:internal|local|corp|svc))"
         r"[^\s]*",
         reason="internal URL", suggestion="link only to public pages", severity="error"),
    Rule(id="markup.html", pattern=r"</?[a-zA-Z][^>]*>|javascript:|&lt;script",
         reason="HTML or script in a notice (it will be shown escaped, as text)",
         suggestion="write plain text; Candor formats the notice", severity="error"),
)


def rules_for(lang: str, extra_jargon: Sequence[str] = ()) -> list[Rule]:
    """Every text rule for ``lang`` (``en`` or ``pt-BR``), with configured extra jargon."""
    if lang not in JARGON:
        raise ValueError(f"no notice rules for language {lang!r}; use one of {', '.join(JARGON)}")
    blame_reason, blame_suggestion = _BLAME_TEXT[lang]
    hedge_reason, hedge_suggestion = _HEDGE_TEXT[lang]
    return [
        Rule(id="jargon.term", phrases=(*JARGON[lang], *extra_jargon), reason=_JARGON_REASON[lang],
             suggestion=_JARGON_SUGGESTION[lang].replace("{match!r}", "'{match}'")),
        _STATUS_CODES, _STACK, _HOSTNAME,
        Rule(id="blame.shift", phrases=_BLAME[lang], reason=blame_reason,
             suggestion=blame_suggestion, severity="error"),
        Rule(id="hedge.vague", phrases=_HEDGE[lang], reason=hedge_reason,
             suggestion=hedge_suggestion),
        *_LEAKS,
    ]


# ---- readability ----------------------------------------------------------------

_VOWELS = re.compile(r"[aeiouyáéíóúâêôãõàü]+", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_READING_EASE = {"en": 40.0, "pt-BR": 40.0}


def _syllables(word: str) -> int:
    return max(1, len(_VOWELS.findall(word)))


def reading_ease(text: str, lang: str) -> float | None:
    """Flesch reading ease (en) or Martins et al.'s pt-BR adaptation; ``None`` if too short."""
    words = _WORDS.findall(text)
    count = sum(1 for _ in sentences(text))
    if len(words) < 30 or count == 0:
        return None
    asl = len(words) / count
    asw = sum(_syllables(w) for w in words) / len(words)
    base = 248.835 if lang == "pt-BR" else 206.835
    return round(base - 1.015 * asl - 84.6 * asw, 1)


def _reading_ease_check(text: str, lang: str) -> Iterator[Finding]:
    score = reading_ease(text, lang)
    limit = MIN_READING_EASE.get(lang)
    if score is not None and limit is not None and score < limit:
        yield finding_at(
            text, 0, min(len(text), 60), rule="readability.hard", severity="warning",
            reason=f"reading ease {score} is below {limit}: hard to read",
            suggestion="use shorter words and sentences",
        )


# ---- notices ----------------------------------------------------------------------

REQUIRED: dict[Kind, tuple[str, ...]] = {
    Kind.INITIAL: ("title", "what_happened", "who_is_affected", "what_we_are_doing",
                   "what_users_should_do"),
    Kind.UPDATE: ("title", "what_happened", "who_is_affected", "what_we_are_doing",
                  "what_users_should_do"),
    Kind.CORRECTION: ("title", "what_was_wrong", "what_is_right", "what_users_should_do"),
    Kind.RETRACTION: ("title", "retraction_reason"),
}
TEXT_PARTS = ("title", "what_happened", "who_is_affected", "what_we_are_doing",
              "what_users_should_do", "what_was_wrong", "what_is_right", "retraction_reason")
_MISSING = {
    "en": "required part '{part}' is empty",
    "pt-BR": "a parte obrigatória '{part}' está vazia",
}


@dataclass(frozen=True)
class NoticeFinding:
    """A finding in one part of a notice (``part`` names the field, or ``text`` for a file)."""

    part: str
    finding: Finding

    @property
    def severity(self) -> str:
        return self.finding.severity

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.part, **self.finding.as_dict()}

    def __str__(self) -> str:
        return f"{self.part}:{self.finding}"


def lint_text(text: str, lang: str, config: LinterConfig | None = None) -> list[Finding]:
    """Findings for one piece of notice text."""
    config = config or LinterConfig()
    rules = rules_for(lang, config.jargon.get(lang, ()))
    checks = [long_sentences(config.max_sentence_words), _reading_ease_check]
    return lint(text, rules, lang, checks=checks)


def lint_content(
    content: Content, kind: Kind, lang: str, config: LinterConfig | None = None
) -> list[NoticeFinding]:
    """Findings for a whole notice: every part's text, plus missing required parts."""
    out: list[NoticeFinding] = []
    for part in REQUIRED[kind]:
        if not str(getattr(content, part)).strip():
            out.append(NoticeFinding(part, Finding(
                rule="parts.missing", severity="error", start=0, end=0, line=1, column=1,
                excerpt="", reason=_MISSING[lang].format(part=part),
                suggestion=f"write the '{part}' part",
            )))
    if kind in (Kind.INITIAL, Kind.UPDATE) and content.next_update_at is None:
        out.append(NoticeFinding("next_update_at", Finding(
            rule="parts.next-update", severity="warning", start=0, end=0, line=1, column=1,
            excerpt="", reason="no time for the next update: users will not know when to look again",
            suggestion="set next_update_at (the cadence for this severity says when)",
        )))
    texts = {part: getattr(content, part) for part in TEXT_PARTS}
    texts.update({f"corrective_actions[{i}]": a for i, a in enumerate(content.corrective_actions)})
    for part, text in texts.items():
        if text.strip():
            out.extend(NoticeFinding(part, f) for f in lint_text(text, lang, config))
    return out
