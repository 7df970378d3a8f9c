"""``[alerts]`` and ``[[maintenance]]`` as the contract lays them out, and their problems."""

from datetime import datetime

import pytest

from handlers.alerts.config import AlertsSection, MaintenanceSection, Route, Window
from slackbot.capability import config_sections, installed
from slackbot.config import Config, ConfigError, parse_config


def parse(raw: dict[str, object]) -> Config:
    return parse_config(raw, config_sections(installed()))


def test_routes_and_windows_parse_with_their_labels_and_from_key() -> None:
    config = parse(
        {
            "alerts": {"routes": [{"match": {"severity": "critical"}, "declare": True, "severity": 1}]},
            "maintenance": [{"service": "checkout", "from": "2026-12-20 06:00", "to": "2026-12-20 08:00"}],
        }
    )
    assert config.section(AlertsSection).routes == [Route({"severity": "critical"}, True, 1)]
    assert config.section(AlertsSection).route_for({"severity": "critical", "service": "x"}) is not None
    assert config.section(AlertsSection).route_for({"severity": "warning"}) is None
    assert config.section(MaintenanceSection).windows == [
        Window("checkout", datetime(2026, 12, 20, 6, 0), datetime(2026, 12, 20, 8, 0))
    ]


def test_problems_are_reported_with_their_paths() -> None:
    with pytest.raises(ConfigError) as raised:
        parse(
            {
                "alerts": {"channel": "nowhere", "routes": [{"match": {"severity": 1}}, {"severity": 4}]},
                "maintenance": [
                    {"service": "x", "from": "2026-12-20 08:00", "to": "2026-12-20 06:00"},
                    {"service": "y"},
                ],
            }
        )
    assert raised.value.problems == [
        'alerts.routes[0].match: expected a table of label = "value"',
        "maintenance[1].from: is required",
        "maintenance[1].to: is required",
    ]
    with pytest.raises(ConfigError) as raised:
        parse(
            {
                "alerts": {"channel": "nowhere", "routes": [{"severity": 4}]},
                "maintenance": [{"service": "x", "from": "2026-12-20 08:00", "to": "2026-12-20 06:00"}],
            }
        )
    assert raised.value.problems == [
        'alerts.channel: "nowhere" is neither a channel key (questions, announcements, engineering, daily, status) '
        "nor a channel ID",
        "alerts.routes[0].severity: must be 1, 2 or 3",
        "maintenance[0].to: must be after from",
    ]
