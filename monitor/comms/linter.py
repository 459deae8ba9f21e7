"""The notice linter: guide steps 2 and 3 as rules for ``monitor.textlint``.

A policy a communicator signs: a notice that says nothing in plain words does not go out.
Per language (pt-BR, en), every reason and hint in the notice's language
(``monitor.i18n.lint``). Blocking (``error``) by default:

* ``jargon.status-code`` — any HTTP status code ("503s", "HTTP 502", "5xx", "erro 500");
* ``jargon.component`` — names of internal systems ("nginx", "kafka", "consumer lagged";
  ``[comms.linter] components`` adds yours, e.g. the names of your services);
* ``jargon.density`` — technical terms at or above ``max_jargon_per_100_words`` (2 or more
  terms; one "cache" alone is a warning);
* ``jargon.stack-trace`` — a stack trace or an error class name ("KeyError:");
* ``hedge.density`` — more than ``max_vague_phrases`` vague or minimising phrases ("may
  have", "a limited number of", "any inconvenience"): the notice takes no responsibility;
* ``leak.*`` — IP and e-mail addresses, tokens and keys, internal URLs and hostnames
  ("redirect-svc-7f9c", "db01", "api.internal");
* ``blame.*`` — shifting responsibility ("our provider", "user error", "human error");
* ``markup.html`` — HTML or script in the text;
* ``parts.missing`` — a required part is empty (a correction says what was wrong and what
  is right);
* ``promise.no-time`` — an update promised ("we will update you", "mais informações em
  breve") with no time in the sentence and no ``next_update_at``.

Warnings (shown, never blocking): ``jargon.term`` (one term, with a hint written for that
kind of term), ``hedge.vague`` (one vague phrase),
``parts.next-update`` (no ``next_update_at``), ``readability.*`` (long sentences, low
Flesch reading ease; Martins et al.'s adaptation for pt-BR).

``[comms.linter] severity`` changes any of these by rule id or family
(``{ "hedge" = "error", "jargon.term" = "info" }``). Errors block publishing unless an
admin publishes anyway with a recorded reason (``override_reason``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from monitor.comms.models import Content, Kind
from monitor.config.comms import LinterConfig
from monitor.i18n import Msg, check_lang, number
from monitor.i18n.lint import COMPONENTS, JARGON, Lint
from monitor.i18n.public import Public
from monitor.textlint import Finding, Rule, Severity, finding_at, lint, sentences, word_count

# ---- what the rules match (in the notice's language) --------------------------------------------

_STATUS_CODES = (
    r"\b[1-5]xx\b|\b[1-5]\d\ds\b|\b[1-5]0\d(?:/[1-5]0\d)+\b"
    r"|\b(?:HTTP|status|erros?|errors?|código|codes?|resposta|response)\s*[1-5]\d\d\b"
    r"|\b[45]\d\d\s+(?:errors?|erros?|responses?|respostas?|pages?|páginas?)\b"
)
_STACK = (r"Traceback \(most recent call last\)|\bFile \"[^\"]+\", line \d+|"
          r"\bat [\w.$]+\([\w.]+:\d+\)|\b\w+(?:Error|Exception):")
_HOSTNAME = (r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:internal|local|lan|corp|svc|intra)\b"
             r"|\b[a-z]+(?:-[a-z0-9]+)*-(?:svc|prod|stg|staging|db|worker|node|cache|lb|proxy)"
             r"-?\d*[a-z0-9]*\b")
# lowercase only (hostnames are): "db01", "web-03", a pod "redirect-7f9c8d"
_MACHINE = (r"\b[a-z]{2,}-?\d{2,}\b"
            r"|\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{4,10}"
            r"(?:-[a-z0-9]{5})?\b")
_REGION = (r"\b(?:us|eu|sa|ap|ca|me|af|il|mx)-(?:east|west|north|south|central|northeast|northwest|"
           r"southeast|southwest)-\d\b")
_LEAKS = (
    ("leak.ip", r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
                r"|\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b", Lint.ip_reason, Lint.ip_hint),
    ("leak.email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", Lint.email_reason, Lint.email_hint),
    ("leak.token", r"\b(?:sk|pk|rk|ghp|gho|ghs|glpat|xox[abprs]|AKIA|whsec|cnd)[_-]?[A-Za-z0-9_\-]{12,}"
                   r"|\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}|\bBearer\s+[\w\-.~+/]{12,}=*"
                   r"|\b[A-Fa-f0-9]{32,}\b", Lint.token_reason, Lint.token_hint),
    ("leak.internal-url", r"\bhttps?://(?:localhost|127\.0\.0\.1|10\.|192\.168\.|"
                          r"[^\s/]*\.(?:internal|local|corp|svc))[^\s]*", Lint.url_reason, Lint.url_hint),
    ("markup.html", r"</?[a-zA-Z][^>]*>|javascript:|&lt;script", Lint.html_reason, Lint.html_hint),
)

BLAME: dict[str, tuple[str, ...]] = {
    "en": (
        "our provider", "our providers", "our vendor", "our vendors", "our partner",
        "our cloud provider", "our hosting provider", "our upstream provider", "cloud provider",
        "hosting provider", "third-party service", "external provider", "an external service",
        "a third party", "third-party provider", "due to a third party", "third party",
        "user error", "human error", "operator error", "should have", "shouldn't have",
        "not our fault", "beyond our control", "outside our control", "caused by our provider",
        "you should have", "users who failed to", "an engineer", "a developer", "an employee",
        "the intern", "misconfigured by",
    ),
    "pt-BR": (
        "nosso provedor", "nossos provedores", "nosso fornecedor", "nossos fornecedores",
        "nosso parceiro", "nosso provedor de nuvem", "provedor de nuvem", "provedor externo",
        "serviço externo", "de terceiros", "um terceiro", "terceiros", "erro do usuário",
        "erro dos usuários", "erro humano", "falha humana", "deveria ter", "deveriam ter",
        "não foi culpa nossa", "não é culpa nossa", "culpa do", "culpa da", "fora do nosso controle",
        "alheio à nossa vontade", "alheios à nossa vontade", "um engenheiro", "um desenvolvedor",
        "um funcionário", "o estagiário",
    ),
}
HEDGE: dict[str, tuple[str, ...]] = {
    "en": (
        "may have", "might have", "possibly", "it appears", "it seems", "seems to", "appears to",
        "we believe", "some users may", "a small number of", "a limited number of", "minor",
        "slight", "brief", "any inconvenience", "if you were affected", "isolated",
        "potentially",
    ),
    "pt-BR": (
        "pode ter", "podem ter", "possivelmente", "aparentemente", "parece que", "parece ter",
        "talvez", "eventualmente", "acreditamos que", "alguns usuários podem", "pequeno número",
        "número limitado", "qualquer inconveniente", "eventual transtorno",
        "eventuais transtornos", "se você foi afetado", "pontual", "pontuais", "isolado",
        "potencialmente",
    ),
}
PROMISES: dict[str, tuple[str, ...]] = {
    "en": (
        "we will update", "we'll update", "will update you", "will post an update",
        "will provide an update", "will provide updates", "will share an update",
        "will share more", "updates to follow", "more updates", "further updates",
        "update soon", "more soon", "more information soon", "more details soon",
        "keep you posted", "keep you updated", "keep you informed", "stay tuned",
        "as soon as we know more", "when we know more", "next update", "further detail",
        "further details", "more details will", "as more information becomes available",
    ),
    "pt-BR": (
        "atualizaremos", "vamos atualizar", "voltaremos a atualizar", "novas atualizações",
        "mais atualizações", "nova atualização", "próxima atualização", "em breve",
        "manteremos vocês informados", "manteremos você informado", "manteremos todos informados",
        "vamos manter vocês informados", "daremos notícias", "daremos mais informações",
        "traremos novidades", "assim que soubermos mais", "quando soubermos mais",
        "mais informações em breve", "mais detalhes serão", "à medida que tivermos mais",
    ),
}
_TIME = re.compile(
    r"\b\d{1,2}(?::\d{2}|h\d{0,2})(?!\w)|\b\d{1,2}\s*(?:am|pm)\b|\bUTC\b|\bBRT\b"
    r"|\b\d+\s*(?:min|mins|minutes?|minutos?|hours?|horas?|h)\b"
    r"|\b(?:half an hour|an hour|meia hora|uma hora|midnight|noon|meia-noite|meio-dia)\b",
    re.IGNORECASE)

DEFAULT_SEVERITY: dict[str, Severity] = {  # the ids are LINT_RULES in monitor.config.comms
    "jargon.term": "warning", "jargon.stack-trace": "error", "jargon.status-code": "error",
    "jargon.component": "error", "jargon.density": "error", "leak.hostname": "error",
    "leak.ip": "error", "leak.email": "error", "leak.token": "error",
    "leak.internal-url": "error", "markup.html": "error", "blame.shift": "error",
    "hedge.vague": "warning", "hedge.density": "error", "parts.missing": "error", "parts.next-update": "warning",
    "promise.no-time": "error", "readability.long-sentence": "warning",
    "readability.hard": "warning",
}
"""Every rule and what it does by default (``error`` blocks publishing)."""


def severity(rule: str, config: LinterConfig) -> Severity:
    """``[comms.linter] severity`` by rule id, then by family, then the default."""
    chosen = config.severity.get(rule) or config.severity.get(rule.split(".")[0])
    return chosen or DEFAULT_SEVERITY.get(rule, "warning")


def _rule(id: str, config: LinterConfig, reason: Msg, hint: Msg, lang: str, *,
          pattern: str | None = None, phrases: Sequence[str] = (),
          case_sensitive: bool = False) -> Rule:
    # the hint names the matched text: textlint fills "{match}"
    return Rule(id=id, reason=reason(lang), suggestion=hint.text(lang).replace("{term}", "{match}"),
                severity=severity(id, config), pattern=pattern, phrases=tuple(phrases),
                case_sensitive=case_sensitive)


def rules_for(lang: str, config: LinterConfig | None = None) -> list[Rule]:
    """Every text rule for ``lang`` (``en`` or ``pt-BR``), with the configured additions."""
    try:
        check_lang(lang)
    except ValueError:
        raise ValueError(f"no notice rules for language {lang!r}; use one of pt-BR, en") from None
    config = config or LinterConfig()
    rules = [_rule("jargon.term", config, Lint.jargon_reason, group.hint, lang,
                   phrases=group.terms(lang)) for group in JARGON]
    if config.jargon.get(lang):
        rules.append(_rule("jargon.term", config, Lint.jargon_reason, Lint.component_hint, lang,
                           phrases=config.jargon[lang]))
    rules += [
        _rule("jargon.term", config, Lint.jargon_reason, Lint.region_hint, lang, pattern=_REGION),
        _rule("jargon.status-code", config, Lint.status_code_reason, Lint.status_code_hint, lang,
              pattern=_STATUS_CODES),
        _rule("jargon.component", config, Lint.component_reason, Lint.component_hint, lang,
              phrases=(*COMPONENTS, *config.components)),
        _rule("jargon.stack-trace", config, Lint.stack_reason, Lint.stack_hint, lang, pattern=_STACK),
        _rule("leak.hostname", config, Lint.hostname_reason, Lint.hostname_hint, lang,
              pattern=_HOSTNAME),
        _rule("leak.hostname", config, Lint.hostname_reason, Lint.hostname_hint, lang,
              pattern=_MACHINE, case_sensitive=True),
        _rule("blame.shift", config, Lint.blame_reason, Lint.blame_hint, lang, phrases=BLAME[lang]),
        _rule("hedge.vague", config, Lint.hedge_reason, Lint.hedge_hint, lang, phrases=HEDGE[lang]),
    ]
    rules += [_rule(id, config, reason, hint, lang, pattern=pattern)
              for id, pattern, reason, hint in _LEAKS]
    return rules


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


def _reading_ease(text: str, lang: str, config: LinterConfig) -> Iterator[Finding]:
    score = reading_ease(text, lang)
    limit = MIN_READING_EASE.get(lang)
    if score is not None and limit is not None and score < limit:
        yield finding_at(
            text, 0, min(len(text), 60), rule="readability.hard",
            severity=severity("readability.hard", config),
            reason=Lint.hard_reason(lang, score=number(score, lang, digits=1),
                                    limit=number(limit, lang)),
            suggestion=Lint.hard_hint(lang),
        )


def _long_sentences(text: str, lang: str, config: LinterConfig) -> Iterator[Finding]:
    limit = config.max_sentence_words.get(lang)
    if limit is None:
        return
    for start, end in sentences(text):
        words = word_count(text[start:end])
        if words > limit:
            yield finding_at(text, start, end, rule="readability.long-sentence",
                             severity=severity("readability.long-sentence", config),
                             reason=Lint.long_reason(lang, words=words, limit=limit),
                             suggestion=Lint.long_hint(lang))


def _promises(text: str, lang: str, config: LinterConfig) -> Iterator[Finding]:
    """An update promised in a sentence that gives no time."""
    promise = Rule(id="promise.no-time", reason="-", phrases=PROMISES[lang])
    for start, end in sentences(text):
        sentence = text[start:end]
        if _TIME.search(sentence):
            continue
        for match in promise.finditer(sentence):
            yield finding_at(text, start + match.start(), start + match.end(),
                             rule="promise.no-time", severity=severity("promise.no-time", config),
                             reason=Lint.promise_reason(lang), suggestion=Lint.promise_hint(lang))
            break


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
_JARGON_RULES = ("jargon.term", "jargon.status-code", "jargon.component", "jargon.stack-trace")


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


def _density(found: list[NoticeFinding], words: int, lang: str,
             config: LinterConfig) -> list[NoticeFinding]:
    """One ``jargon.density`` finding when the notice holds too many technical terms, and one
    ``hedge.density`` when it hedges more than ``max_vague_phrases`` times."""
    out = []
    limit = config.max_jargon_per_100_words
    terms = [f for f in found if f.finding.rule in _JARGON_RULES]
    if limit and len(terms) >= 2 and words and len(terms) * 100 / words >= limit:
        per_100 = number(len(terms) * 100 / words, lang, digits=1)
        out.append(NoticeFinding(terms[0].part, replace(
            terms[0].finding, rule="jargon.density", severity=severity("jargon.density", config),
            reason=Lint.density_reason(lang, count=len(terms), words=words, per_100=per_100,
                                       limit=number(limit, lang)),
            suggestion=Lint.density_hint(lang))))
    vague = [f for f in found if f.finding.rule == "hedge.vague"]
    if len(vague) > config.max_vague_phrases:
        out.append(NoticeFinding(vague[0].part, replace(
            vague[0].finding, rule="hedge.density", severity=severity("hedge.density", config),
            reason=Lint.hedges_reason(lang, count=len(vague)), suggestion=Lint.hedge_hint(lang))))
    return out


def _text_findings(text: str, lang: str, config: LinterConfig) -> list[Finding]:
    checks = [partial(_long_sentences, config=config), partial(_reading_ease, config=config)]
    found = lint(text, rules_for(lang, config), lang, checks=checks)
    # A term inside a leaked name or an internal system's name ("db" in "db-prod-2") is that
    # finding already: the more specific one stays.
    wide = [f for f in found if f.rule.startswith("leak.") or f.rule == "jargon.component"]
    return [f for f in found if not (f.rule == "jargon.term" and any(
        w.start <= f.start and f.end <= w.end and w is not f for w in wide))]


def lint_text(text: str, lang: str, config: LinterConfig | None = None) -> list[Finding]:
    """Findings for one piece of notice text (a plain-text file: promises need their time
    in the sentence)."""
    config = config or LinterConfig()
    found = [NoticeFinding("text", f) for f in _text_findings(text, lang, config)]
    found += [NoticeFinding("text", f) for f in _promises(text, lang, config)]
    found += _density(found, word_count(text), lang, config)
    return sorted((f.finding for f in found), key=lambda f: (f.start, f.rule, f.end))


def _part_name(part: str, lang: str) -> str:
    """A notice part as the reader knows it ("O que aconteceu"), not its field name."""
    entry = dict(Public.entries()).get(part)
    return entry(lang) if isinstance(entry, Msg) else part


def _missing(part: str, lang: str, config: LinterConfig, rule: str = "parts.missing") -> Finding:
    name = _part_name(part, lang)
    if rule == "parts.next-update":
        reason, hint = Lint.next_update_reason(lang), Lint.next_update_hint(lang)
    else:
        reason, hint = Lint.missing_reason(lang, part=name), Lint.missing_hint(lang, part=name)
    return Finding(rule=rule, severity=severity(rule, config), start=0, end=0, line=1, column=1,
                   excerpt="", reason=reason, suggestion=hint)


def lint_content(
    content: Content, kind: Kind, lang: str, config: LinterConfig | None = None
) -> list[NoticeFinding]:
    """Findings for a whole notice: every part's text, missing required parts, an update
    promised without a time, and the density of technical terms over the whole notice."""
    config = config or LinterConfig()
    out = [NoticeFinding(part, _missing(part, lang, config)) for part in REQUIRED[kind]
           if not str(getattr(content, part)).strip()]
    if kind in (Kind.INITIAL, Kind.UPDATE) and content.next_update_at is None:
        out.append(NoticeFinding("next_update_at",
                                 _missing("next_update_at", lang, config, "parts.next-update")))
    texts = {part: getattr(content, part) for part in TEXT_PARTS}
    texts.update({f"corrective_actions[{i}]": a for i, a in enumerate(content.corrective_actions)})
    words = 0
    found: list[NoticeFinding] = []
    for part, text in texts.items():
        if not text.strip():
            continue
        words += word_count(text)
        found.extend(NoticeFinding(part, f) for f in _text_findings(text, lang, config))
        if content.next_update_at is None:
            found.extend(NoticeFinding(part, f) for f in _promises(text, lang, config))
    return out + found + _density(found, words, lang, config)
