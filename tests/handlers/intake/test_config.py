"""``/intake`` owns two keys of the shared ``[gitlab]`` table: they parse into its own section, and
the core ``[gitlab]`` keys and the problems of both are reported as before."""

import pytest

from handlers.intake.config import IntakeSection
from slackbot.capability import config_sections, installed
from slackbot.config import Config, ConfigError, parse_config


def parse(raw: dict[str, object]) -> Config:
    return parse_config(raw, config_sections(installed()))


def test_the_intake_keys_of_gitlab_belong_to_the_intake_section() -> None:
    config = parse({"gitlab": {"app_project": "org/app", "intake_project": "org/meta", "intake_template": "ask"}})
    assert config.gitlab.app_project == "org/app"
    assert config.section(IntakeSection) == IntakeSection("org/meta", "ask")


def test_without_them_the_intake_section_has_its_defaults() -> None:
    config = parse({"gitlab": {"app_project": "org/app"}})
    assert config.section(IntakeSection) == IntakeSection()


def test_a_wrong_intake_key_and_an_unknown_gitlab_key_are_both_reported_with_their_paths() -> None:
    with pytest.raises(ConfigError) as raised:
        parse({"gitlab": {"intake_project": 7, "intake_projekt": "org/meta"}})
    assert raised.value.problems == [
        "gitlab.intake_projekt: unknown key",
        "gitlab.intake_project: expected str, got int 7",
    ]
