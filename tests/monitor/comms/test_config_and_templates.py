"""Story: mistakes in [notify], [comms] or a template are caught at load, with file and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.comms.render import check_templates, notice_text
from monitor.config import parse
from monitor.errors import ConfigError


def test_sections_load_with_defaults_and_overrides() -> None:
    settings = parse('[comms]\ndefault_lang = "en"\n[comms.cadence.SEV1]\nfirst_notice = "5m"\n'
                     '[[notify.receivers]]\nname = "ops"\nkind = "webhook"\n'
                     'url = "https://hooks.example/x"\nsecret = "env:OPS_SECRET"\n')
    assert settings.comms.default_lang == "en"
    assert settings.comms.cadence["SEV1"].first_notice == timedelta(minutes=5)
    assert settings.comms.cadence["SEV2"].first_notice == timedelta(minutes=30)
    secret = settings.notify.receivers[0].secret
    assert secret is not None and secret.var == "OPS_SECRET"
    assert settings.notify.max_attempts == 8


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[notify]\nmax_attempts = 0\n', "config.toml:2: notify.max_attempts"),
        ('[notify]\n\n[[notify.receivers]]\nname = "x"\nkind = "fax"\nurl = "http://x"\n',
         "config.toml:5: notify.receivers[0].kind"),
        ('[comms]\nbackoff = "1m"\n', "config.toml:2: comms.backoff"),
        ('[comms.cadence.SEV1]\nfirst_notice = "ten minutes"\n',
         "config.toml:2: comms.cadence.SEV1.first_notice"),
        ('[notify]\ntimeout = "5 s"\n', "config.toml:2: notify.timeout"),
    ],
)
def test_bad_config_names_the_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert expected in str(caught.value)


def test_bundled_templates_compile() -> None:
    assert "status.html.j2" in check_templates()


def test_a_broken_template_is_reported_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "ok.html.j2").write_text("<p>{{ x }}</p>\n")
    (tmp_path / "broken.html.j2").write_text("<p>\n{% if x %}\n<p>{{ x }</p>\n")
    with pytest.raises(ConfigError) as caught:
        check_templates(tmp_path)
    assert f"{tmp_path / 'broken.html.j2'}:3:" in str(caught.value)


def test_notice_text_is_plain_and_has_every_part_in_pt_br() -> None:
    text = notice_text({"title": "Links fora do ar", "what_happened": "Os links não abrem & pronto.",
                        "who_is_affected": "Todos.", "what_we_are_doing": "Corrigindo.",
                        "what_users_should_do": "Nada.", "corrective_actions": ["Alarme novo."],
                        "next_update_at": "2026-03-02T10:00:00Z"},
                       kind="initial", lang="pt-BR", published_at=None)  # type: ignore[arg-type]
    assert text.splitlines() == [
        "Aviso: Links fora do ar",
        "O que aconteceu: Os links não abrem & pronto.",
        "Quem foi afetado: Todos.",
        "O que estamos fazendo: Corrigindo.",
        "O que você deve fazer: Nada.",
        "O que mudamos para não acontecer de novo:",
        "- Alarme novo.",
        "Próxima atualização: 02/03/2026 10:00 UTC",
    ]
