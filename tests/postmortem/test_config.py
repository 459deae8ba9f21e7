"""The [postmortem] section: defaults, and bad values refused with the key named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from monitor.config import parse
from monitor.config.postmortem import PostmortemSettings
from monitor.errors import ConfigError


def test_the_section_has_working_defaults_in_the_config_file():
    section = parse("").postmortem
    assert section.auto_draft_severities == ["SEV1", "SEV2"] and section.pdf_timeline_limit == 5000
    assert section.digest_schedule == "0 8 * * MON" and section.digest_receivers == []
    assert parse('[postmortem]\ndefault_lang = "pt-BR"\n').postmortem.default_lang == "pt-BR"


def test_a_typo_in_the_section_is_reported_with_file_line_and_key():
    with pytest.raises(ConfigError) as error:
        parse('[postmortem]\ntemplate_dir = "x"\n', "config.toml")
    assert error.value.lines[0].startswith(
        "config.toml:2: postmortem.template_dir: unknown key; did you mean 'templates_dir'?")


@pytest.mark.parametrize("values, key", [
    ({"auto_draft_severities": ["SEV9"]}, "auto_draft_severities"),
    ({"default_lang": "fr"}, "default_lang"),
    ({"required_approvals": 0}, "required_approvals"),
    ({"pdf_timeline_limit": -1}, "pdf_timeline_limit"),
    ({"digest_period": "year"}, "digest_period"),
    ({"template_dir": "x"}, "template_dir"),  # a typo: unknown keys are errors
    ({"digest_schedule": "every monday"}, "digest_schedule"),
    ({"digest_receivers": "leaders"}, "digest_receivers"),
    ({"owner_teams": {"@ana": 1}}, "owner_teams"),
])
def test_bad_values_name_the_key(values, key):
    with pytest.raises(ValidationError) as error:
        PostmortemSettings.model_validate(values)
    assert error.value.errors()[0]["loc"][0] == key
