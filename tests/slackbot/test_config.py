from datetime import time, timedelta
from pathlib import Path

import pytest

from handlers import sections
from handlers.cadence.config import CadenceSection
from handlers.incidents.config import IncidentsSection
from handlers.questions.config import QuestionsSection
from handlers.standups.config import StandupsSection
from slackbot.cli import main
from slackbot.config import Config, ConfigError, Settings, load_config, parse_config

REPO = Path(__file__).resolve().parents[2]


def problems_of(raw: dict) -> list[str]:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, sections())
    return caught.value.problems


def test_the_shipped_example_is_valid_and_typed() -> None:
    config = load_config(REPO / "fulfillbot.example.toml", sections())
    assert config.timezone == "Europe/Madrid"
    assert config.section(StandupsSection).time == time(9, 30)
    incidents = config.section(IncidentsSection)
    assert incidents.escalation[0].ack_timeout == timedelta(minutes=5)
    assert incidents.escalation[1].usergroup == "fulfillment-engineering"
    assert [c.cron for c in config.section(CadenceSection).entries] == ["0 9 26 * *", "0 9 1 * *", "0 9 9 * *"]
    assert any("urgent" in rule.keywords for rule in config.section(QuestionsSection).autoreplies)


def test_a_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.toml", sections()) == Config()


def test_every_problem_is_reported_with_its_key_path() -> None:
    problems = problems_of(
        {
            "timezone": "Mars/Olympus",
            "colour": "blue",
            "channels": {"questions": 5},
            "people": [{"slack": "james"}, {"slack": "U0OK00001", "shoe": 1}],
            "questions": {"closed_by": "nobody", "nudge_unreplied_after": "soon"},
            "standups": {"time": "25:00", "days": ["mon", "funday"], "holidays": ["2026-13-40"]},
            "incidents": {
                "escalation": [
                    {"users": ["U0JAMES01"], "ack_timeout": "5m"},
                    {"usergroup": "x", "ack_timeout": "5x"},
                ]
            },
            "status": {"probes": [{"name": "p", "url": "ftp://x", "expect_status": "200"}]},
            "cadence": [{"cron": "0 9 32 * *", "text": "x"}, {"text": "no cron"}],
            "scheduler": "fast",
        }
    )
    assert problems == [
        "colour: unknown key",
        'timezone: "Mars/Olympus" is not a known timezone',
        "channels.questions: expected str, got int 5",
        'people[0].slack: "james" is not a Slack user ID (like U0123ABCD)',
        "people[1].shoe: unknown key",
        'scheduler: expected a table, got str "fast"',
        "cadence[0].cron: \"0 9 32 * *\" is not a valid cron expression: Error validating expression '32': "
        "the last value (32) is higher than the maximum value (31)",
        "cadence[1].cron: is required",
        'incidents.escalation[1].ack_timeout: "5x" is not a duration',
        'questions.closed_by: "nobody" is not one of "anyone", "asker"',
        'questions.nudge_unreplied_after: "soon" is not a duration',
        'standups.time: "25:00" is not a time of day (HH:MM)',
        'standups.days[1]: "funday" is not a weekday (mon, tue, wed, thu, fri, sat, sun)',
        'standups.holidays[0]: "2026-13-40" is not a date (YYYY-MM-DD)',
        'status.probes[0].url: "ftp://x" is not an http(s) URL',
        'status.probes[0].expect_status: expected int, got str "200"',
    ]


def test_rules_across_keys() -> None:
    problems = problems_of(
        {
            "people": [{"slack": "U0JAMES01"}, {"slack": "U0JAMES01"}],
            "incidents": {
                "repeat": -1,
                "escalation": [
                    {"ack_timeout": "5m"},
                    {"ack_timeout": "5m", "users": ["U0A1"], "usergroup": "g"},
                ],
            },
            "cadence": [{"cron": "0 9 1 * *", "text": "t", "channel": "random"}],
            "status": {"probes": [{"name": "p", "url": "https://x", "failures_before_alert": 0}]},
            "standups": {"remind_after": "4h", "summary_after": "2h"},
            "scheduler": {"tick": "0s"},
        }
    )
    assert problems == [
        'people[1].slack: "U0JAMES01" is listed twice',
        "scheduler.tick: must be at least 1s",
        'cadence[0].channel: "random" is neither a channel key (questions, announcements, engineering, daily, '
        "status) nor a channel ID",
        "incidents.escalation[0]: needs exactly one of users, usergroup or oncall",
        "incidents.escalation[1]: needs exactly one of users, usergroup or oncall",
        "incidents.repeat: must be 0 or more",
        "standups.summary_after: must be later than standups.remind_after",
        "status.probes[0].failures_before_alert: must be 1 or more",
    ]


def test_check_config_prints_problems_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[incidents.escalation]]\nusers = ["U0JAMES01"]\nack_timeout = "5x"\n[questions]\nfoo = 1\n')
    assert main(["check-config", str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        'incidents.escalation[0].ack_timeout: "5x" is not a duration',
        "questions.foo: unknown key",
    ]


def test_check_config_reports_toml_syntax_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("timezone = \n")
    assert main(["check-config", str(bad)]) == 1
    assert "not valid TOML" in capsys.readouterr().out


def test_check_config_accepts_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(REPO / "fulfillbot.example.toml")]) == 0
    assert "OK" in capsys.readouterr().out


def test_settings_come_from_the_environment_and_hide_secrets() -> None:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-123-secret",
            "SLACK_SIGNING_SECRET": "shh",
            "PORT": "8080",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.port == 8080
    assert settings.log_level == "DEBUG"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///fulfillbot.db"
    assert not settings.socket_mode
    assert "xoxb-123-secret" not in repr(settings)
    assert "shh" not in repr(settings)
    assert settings.problems_for_run() == []


def test_settings_say_what_run_needs() -> None:
    assert Settings.from_env({}).problems_for_run() == [
        "SLACK_BOT_TOKEN: is required",
        "SLACK_SIGNING_SECRET: is required in HTTP mode",
    ]
    socket_mode = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert socket_mode.socket_mode
    assert socket_mode.problems_for_run() == []
    with pytest.raises(ConfigError, match="PORT"):
        Settings.from_env({"PORT": "eighty"})
