"""config.toml: the shipped default validates; every mistake is one `PATH:LINE: key: …` line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import Settings, load, parse
from monitor.durations import format_duration, parse_duration
from monitor.errors import ConfigError
from monitor.promql.lexer import parse_duration_ms

ROOT = Path(__file__).resolve().parents[3]


def problems(text: str, path: str = "candor.toml") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(text, path)
    return caught.value.lines


def test_the_shipped_config_toml_is_valid_and_equals_the_defaults() -> None:
    shipped = load(ROOT / "config.toml")
    assert shipped.model_dump(exclude={"storage"}) == Settings().model_dump(exclude={"storage"})


def test_an_empty_file_means_the_defaults() -> None:
    assert parse("") == Settings()
    assert load(None) == Settings()


def test_a_misspelled_key_names_file_line_and_a_guess() -> None:
    text = "[server]\nlisten = '127.0.0.1:9000'\nmax_body_byte = 5\n"
    [line] = problems(text)
    assert line.startswith("candor.toml:3: server.max_body_byte: unknown key; did you mean "
                           "'max_body_bytes'?")
    assert "(expected one of: listen, log_format, log_level, max_body_bytes, public_url, scheduler_logs)" in line


def test_a_misspelled_section_is_caught_too() -> None:
    [line] = problems("\n[incident]\nkey_prefix = 'INC'\n")
    assert line.startswith("candor.toml:2: incident: unknown key; did you mean 'incidents'?")


def test_wrong_types_say_what_was_expected() -> None:
    text = "[limits]\nmax_labels = 'many'\n\n[routing]\ngroup_by = 'alertname'\n"
    lines = problems(text)
    assert lines[0].startswith("candor.toml:2: limits.max_labels: wrong type: got str 'many'")
    assert lines[1].startswith("candor.toml:5: routing.group_by:")
    assert "list" in lines[1]


@pytest.mark.parametrize("value", ["5 minutes", "5", "m5", "1.5h", "30m1h", "-5m", ""])
def test_bad_durations_are_rejected_with_the_accepted_form(value: str) -> None:
    [line] = problems(f"# reopen after\n[incidents]\n\nreopen_window = '{value}'\n")
    assert line.startswith("candor.toml:4: incidents.reopen_window: ")
    assert "'30s', '5m', '1h30m'" in line or "largest to smallest" in line


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400),
                                               ("500ms", 0.5), ("2w", 1209600)])
def test_good_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_durations_are_parsed_once_at_load_and_dumped_in_prometheus_form() -> None:
    settings = parse("[incidents]\nreopen_window = '90m'\n[verification]\nwindow = '14d'\n")
    assert settings.incidents.reopen_window == timedelta(minutes=90)
    dumped = settings.model_dump()
    assert (dumped["incidents"]["reopen_window"], dumped["verification"]["window"]) == ("1h30m", "2w")
    assert format_duration(timedelta(milliseconds=1500)) == "1s500ms"


def test_one_parser_for_config_and_promql() -> None:
    for text in ("1h30m", "500ms", "2w", "1y"):
        assert parse_duration_ms(text) == parse_duration(text) // timedelta(milliseconds=1)
    for text in ("5 minutes", "30m1h", "1.5h", "", "5"):
        assert parse_duration_ms(text) is None
        with pytest.raises(ValueError):
            parse_duration(text)
    assert parse_duration_ms("300y") is None  # longer than Go's time.Duration holds
    assert problems("[incidents]\nreopen_window = '99999999999y'\n") == [
        "candor.toml:2: incidents.reopen_window: '99999999999y' is too long (the longest is "
        "999999999d, about 2.7 million years)"]


@pytest.mark.parametrize(("key", "section"), [
    ("bearer_token", "[intake.alertmanager]"), ("bearer_token", "[intake.prometheus]"),
    ("database_url", "[storage]"),
])
def test_inline_secrets_are_refused(key: str, section: str) -> None:
    [line] = problems(f"{section}\n{key} = 'postgresql://candor:hunter2@db/candor'\n")
    dotted = section.strip("[]")
    assert line.startswith(f"candor.toml:2: {dotted}.{key}: secrets must not be written inline")
    assert "env:NAME" in line
    assert parse(f"{section}\n{key} = 'env:CANDOR_SECRET'\n")


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = ("[server]\nmax_body_bytes = 10\n[incidents]\nreopen_window = '1 day'\n"
            "default_severity = 'SEV9'\n[intake.alertmanager]\nbearer_token = 'abc'\n")
    lines = problems(text)
    assert [line.split(":")[1] for line in lines] == ["2", "4", "5", "7"]
    assert "greater than or equal to 1024" in lines[0]
    assert "invalid value 'SEV9'" in lines[2]


def test_invalid_toml_names_the_line() -> None:
    [line] = problems("[server]\nlisten = \n")
    assert line.startswith("candor.toml:2: ") and "expected valid TOML syntax" in line


def test_load_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "nope.toml")
    assert caught.value.lines == [f"{tmp_path / 'nope.toml'}:0: file not found"]


def test_load_reports_the_real_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[auth]\nanonymous_role = 'everyone'\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert caught.value.lines[0].startswith(f"{path}:2: auth.anonymous_role: invalid value")
    assert str(caught.value) == "\n".join(caught.value.lines)


def test_array_of_tables_errors_point_at_their_entry() -> None:
    text = "[severities.SEV1]\ndescription = 'bad'\n[severities.SEV5]\ndescription = 'x'\n"
    [line] = problems(text)
    assert line.startswith("candor.toml:3: severities.SEV5")


def test_a_secret_of_the_wrong_type_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as error:
        parse('[intake.alertmanager]\nbearer_token = 9876543210\n', "config.toml")
    (line,) = error.value.lines
    assert line.startswith("config.toml:2: intake.alertmanager.bearer_token: wrong type: got int")
    assert "9876543210" not in line


def test_engine_limits_and_restore_windows_name_the_key() -> None:
    text = ("[engine]\nmax_samples = 0\nfor_grace_period = '10 minutes'\n"
            "for_outage_tolerance = '0s'\n")
    lines = problems(text)
    assert lines[0].startswith("candor.toml:2: engine.max_samples: ")
    assert "greater than 0" in lines[0]
    assert lines[1].startswith("candor.toml:3: engine.for_grace_period: ")
    assert lines[2].startswith("candor.toml:4: engine.for_outage_tolerance: ")
