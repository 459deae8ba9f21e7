"""Story: a Brazilian reader never meets one of Candor's English sentences. Every message of
the catalogue has both languages with the same placeholders, and a pt-BR rendering of every
document Candor writes (status page, feed, banner, notices, drafts, postmortem, digest, charts)
holds no English sentence of the catalogue."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from monitor.i18n import Catalogue, Labels, Msg, Plural, duration, labels, number, when
from monitor.i18n.catalogues import ALL, HINTS
from monitor.i18n.public import Public
from monitor.incidents import service as incidents
from postmortem import examples
from postmortem.render import render
from postmortem.report import draw_chart


def _messages() -> Iterator[tuple[str, Msg]]:
    for catalogue in ALL:
        for name, message in catalogue.messages():
            yield f"{catalogue.__name__}.{name}", message
    yield from HINTS.items()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


MESSAGES = dict(_messages())


def test_every_catalogue_is_listed() -> None:
    def subclasses(klass: type[Catalogue]) -> set[type[Catalogue]]:
        found = set(klass.__subclasses__())
        return found.union(*(subclasses(k) for k in found)) if found else set()

    assert subclasses(Catalogue) <= set(ALL)
    assert len(MESSAGES) > 250


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_placeholders(name: str) -> None:
    message = MESSAGES[name]
    assert message.en.strip() and message.pt.strip()
    assert _fields(message.en) == _fields(message.pt)
    assert message.loan or message.en != message.pt, "translate it, or mark it loan=True"
    assert message.en.endswith(".") == message.pt.endswith(".")


def test_labels_fail_loudly_on_a_missing_message() -> None:
    L = labels(Public, "pt-BR")
    assert L.what_happened == "O que aconteceu" and L["back"] == "Voltar ao status"
    assert L.kind("correction") == "Correção" and L.kind("unknown_kind") == "unknown kind"
    with pytest.raises(AttributeError, match="no message 'nope'"):
        _ = L.nope
    with pytest.raises(ValueError, match="language 'fr'"):
        Labels(Public, "fr")


def test_plurals_times_numbers_and_durations_read_right_in_each_language() -> None:
    late = Plural(Msg("{n} overdue", "{n} atrasada"), Msg("{n} overdue", "{n} atrasadas"))
    assert (late("pt-BR", 1), late("pt-BR", 3)) == ("1 atrasada", "3 atrasadas")
    assert number(48210, "pt-BR") == "48.210" and number(38.5, "pt-BR") == "38,5"
    assert number(48210, "en") == "48,210" and number(1234.5, "en", digits=2) == "1,234.50"
    assert when("2026-03-02T09:05:00+00:00", "pt-BR") == "02/03/2026 09:05 UTC"
    assert duration(3900, "pt-BR") == "1 h 05 min" and duration(3900, "en") == "1h 05m"


# ---- no English sentence in a Portuguese rendering ----------------------------------------------

_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def english_fragments() -> list[str]:
    """The English text of every translated message, cut at its placeholders, keeping the
    pieces of two words or more (single words like "Status" are loans or too common)."""
    found = set()
    for message in MESSAGES.values():
        if message.loan or message.en == message.pt:
            continue
        for piece in _PLACEHOLDER.split(message.en):
            piece = piece.strip(" .,:;—-()\n")
            if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 2 and piece not in message.pt:
                found.add(piece)
    return sorted(found)


def english_in(text: str) -> list[str]:
    return [piece for piece in english_fragments() if piece in text]


def test_the_check_finds_english_when_it_is_there() -> None:
    assert english_in("Resumo: What happened · Who is affected") == ["What happened",
                                                                     "Who is affected"]
    assert english_in("O que aconteceu") == []


PT = {
    "title": "Links curtos não estão abrindo",
    "what_happened": "Desde as 9h (UTC) muitos links curtos mostram uma página de erro.",
    "who_is_affected": "Todas as pessoas que abrem um link curto. Criar links continua funcionando.",
    "what_we_are_doing": "Encontramos a mudança que causou isso e estamos desfazendo agora.",
    "what_users_should_do": "Nada. Seus links estão seguros e voltarão a funcionar sozinhos.",
}


@pytest.fixture
def settings(make_settings: Any) -> Any:
    return make_settings(comms={"components": [{"name": "Links", "services": ["redirect"]}]})


def test_no_english_sentence_survives_in_any_portuguese_rendering(
    client: Any, responder: dict[str, str], runtime: Any, clock: Any
) -> None:
    with runtime.unit() as session:
        incident = incidents.open_incident(session, clock=clock, key_prefix="INC", actor="am",
                                           title="x", severity="SEV1", services=["redirect"])
        key = incident.key
    documents: dict[str, Any] = {}
    report, digest = examples.example_documents("pt-BR")  # what a Brazilian team wrote
    for fmt in ("md", "html"):
        documents[f"postmortem.{fmt}"] = render(report, fmt, "pt-BR")
        documents[f"digest.{fmt}"] = render(digest, fmt, "pt-BR", template="digest")
    documents["chart.svg"] = draw_chart(report, "pt-BR")

    later = (clock.now() + timedelta(minutes=30)).isoformat()
    notice = client.post(f"/api/v1/incidents/{key}/notices", headers=responder, json={
        "lang": "pt-BR", "content": {**PT, "next_update_at": later}}).json()
    assert client.post(f"/api/v1/notices/{notice['id']}/publish", headers=responder).status_code == 201
    for title in ("Correção: criar links também falhou", "Correção: o horário"):
        assert client.post(f"/api/v1/notices/{notice['id']}/versions", headers=responder, json={
            "kind": "correction", "content": {
                "title": title, "what_was_wrong": "Dissemos que criar links funcionava.",
                "what_is_right": "Criar links também falhou.",
                "what_users_should_do": "Crie de novo os links criados depois das 9h."}}
        ).status_code == 201
    for path in ("/status", f"/status/incidents/{key}", "/status/feed.atom", "/status.json",
                 "/api/v1/banner"):
        documents[path] = client.get(path, params={"lang": "pt-BR"}).text
    for path in ("press-release", "support-reply"):
        documents[path] = client.get(f"/api/v1/incidents/{key}/{path}", params={"lang": "pt-BR"},
                                     headers=responder).text
    assert client.post(f"/api/v1/notices/{notice['id']}/versions", headers=responder, json={
        "kind": "retraction", "content": {"title": "Retratação", "retraction_reason":
                                          "O alarme contou tráfego de teste."}}).status_code == 201
    for path in ("/status", f"/status/incidents/{key}", "/api/v1/banner"):
        documents[f"{path} (retracted)"] = client.get(path, params={"lang": "pt-BR"}).text

    found = {name: english_in(str(text)) for name, text in documents.items()}
    assert {name: pieces for name, pieces in found.items() if pieces} == {}
    assert "Correção · Correção" not in documents["/status"]
    assert "Ações: Nenhum" not in documents["postmortem.md"]
