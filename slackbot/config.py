"""The TOML config file and the environment, typed and validated with every problem's key path.

Each section is a frozen dataclass; a field's type says how its raw TOML value is checked and
converted (``Annotated`` types carry their own converter), so adding a setting is one line.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from slackbot.durations import parse_duration
from slackbot.mrkdwn import is_user_id


class ConfigError(Exception):
    """The config cannot be used; ``problems`` lists each one as "key.path: what is wrong"."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _duration(raw: Any) -> timedelta:
    return parse_duration(raw)


def _timezone(raw: Any) -> str:
    try:
        ZoneInfo(str(raw))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'"{raw}" is not a known timezone') from None
    return str(raw)


def _time_of_day(raw: Any) -> time:
    if not isinstance(raw, str) or not re.fullmatch(r"\d{1,2}:\d{2}", raw):
        raise ValueError(f'"{raw}" is not a time of day (HH:MM)')
    hour, minute = (int(p) for p in raw.split(":"))
    if hour > 23 or minute > 59:
        raise ValueError(f'"{raw}" is not a time of day (HH:MM)')
    return time(hour, minute)


def _date(raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(f'"{raw}" is not a date (YYYY-MM-DD)') from None


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _local_time(raw: Any) -> datetime:
    """``"2026-12-20 06:00"``: a moment in the team's timezone (kept naive here, placed when used)."""
    if not isinstance(raw, str):
        raise ValueError(f'expected a date and time like "2026-12-20 06:00", got {_describe(raw)}')
    try:
        return datetime.strptime(raw.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(f'"{raw}" is not a date and time like "2026-12-20 06:00"') from None


def _weekday(raw: Any) -> str:
    if str(raw).lower()[:3] not in WEEKDAYS:
        raise ValueError(f'"{raw}" is not a weekday ({", ".join(WEEKDAYS)})')
    return str(raw).lower()[:3]


def _slack_user(raw: Any) -> str:
    if not isinstance(raw, str) or not is_user_id(raw):
        raise ValueError(f'"{raw}" is not a Slack user ID (like U0123ABCD)')
    return raw


def _cron(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw.split()) != 5:
        raise ValueError(f'"{raw}" is not a 5-field cron expression (minute hour day month weekday)')
    try:
        CronTrigger.from_crontab(raw)
    except ValueError as exc:
        raise ValueError(f'"{raw}" is not a valid cron expression: {exc}') from None
    return raw


def _url(raw: Any) -> str:
    if not isinstance(raw, str) or not re.match(r"https?://[^\s/]+", raw):
        raise ValueError(f'"{raw}" is not an http(s) URL')
    return raw


Duration = Annotated[timedelta, _duration]
TimeZoneName = Annotated[str, _timezone]
TimeOfDay = Annotated[time, _time_of_day]
Date = Annotated[date, _date]
LocalTime = Annotated[datetime, _local_time]
Weekday = Annotated[str, _weekday]
SlackUser = Annotated[str, _slack_user]
Cron = Annotated[str, _cron]
Url = Annotated[str, _url]


@dataclass(frozen=True)
class SlackSection:
    admins: list[SlackUser] = field(default_factory=list)


CHANNEL_KEYS = ("questions", "announcements", "engineering", "daily", "status")


@dataclass(frozen=True)
class ChannelsSection:
    questions: str = "s_fulfillment"
    announcements: str = "s_fulfillment_fyi"
    engineering: str = "s_fulfillment_engineering"
    daily: str = "s_fulfillment_daily"
    status: str = "s_fulfillment_status"


@dataclass(frozen=True)
class Person:
    slack: SlackUser
    gitlab: str = ""
    timezone: TimeZoneName = ""
    standup: bool = True


@dataclass(frozen=True)
class GitLabSection:
    """Shared by every capability that talks to GitLab: the projects, and how often to poll."""

    app_project: str = "gitlab-org/customers-gitlab-com"
    watched_refs: list[str] = field(default_factory=lambda: ["main"])
    poll_interval: Duration = timedelta(minutes=5)


@dataclass(frozen=True)
class SchedulerSection:
    tick: Duration = timedelta(seconds=15)


Problem = tuple[str, str]  # (key path, what is wrong)


@dataclass(frozen=True)
class Config:
    """The whole config file: the core keys every capability shares, and each capability's own
    section (``sections``, by top-level key), registered by the capability itself."""

    timezone: TimeZoneName = "UTC"
    slack: SlackSection = field(default_factory=SlackSection)
    channels: ChannelsSection = field(default_factory=ChannelsSection)
    people: list[Person] = field(default_factory=list)
    gitlab: GitLabSection = field(default_factory=GitLabSection)
    scheduler: SchedulerSection = field(default_factory=SchedulerSection)
    sections: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, *sections: Any, **core: Any) -> Config:
        """A config with these capability sections (instances of section classes) and core keys."""
        return cls(**core, sections={type(s).KEY: s for s in sections})

    def section(self, kind: type[S]) -> S:
        """The capability section of this class: as configured, else its defaults."""
        found = self.sections.get(kind.KEY)  # type: ignore[attr-defined]
        return found if isinstance(found, kind) else kind()

    def with_section(self, section: Any) -> Config:
        return dataclasses.replace(self, sections={**self.sections, type(section).KEY: section})

    def gitlab_usernames(self) -> dict[str, str]:
        """Each person's GitLab username, by Slack user ID (``[[people]] gitlab``), for those who have one."""
        return {p.slack: p.gitlab for p in self.people if p.gitlab}

    def channel_ref(self, key: str) -> str:
        return str(getattr(self.channels, key))


S = typing.TypeVar("S")


def looks_like_channel_id(ref: str) -> bool:
    return re.fullmatch(r"[CGD][A-Z0-9]{6,}", ref) is not None


def channel_problem(ref: str) -> str | None:
    """Why ``ref`` cannot name a channel (a key of ``[channels]`` or an ID), or None when it can."""
    if ref in CHANNEL_KEYS or looks_like_channel_id(ref):
        return None
    return f'"{ref}" is neither a channel key ({", ".join(CHANNEL_KEYS)}) nor a channel ID'


_MISSING = object()


class _Parser:
    """Walks raw TOML data against the dataclasses, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}" if path else message)

    def capability_section(self, kind: type, raw: Any, path: str) -> Any:
        """A capability's section; an ``ARRAY`` section is a list of tables held by its one field."""
        if not getattr(kind, "ARRAY", False):
            return self.section(kind, raw, path)
        [holder] = dataclasses.fields(kind)
        hints = typing.get_type_hints(kind, include_extras=True)
        items = self.value(hints[holder.name], raw, path)
        return _MISSING if items is _MISSING else kind(**{holder.name: items})

    def section(self, cls: type, raw: Any, path: str, skip: set[str] | frozenset[str] = frozenset()) -> Any:
        """A table as the dataclass ``cls``; a field's key is its name, or ``metadata["key"]`` where
        the name cannot be (``from`` is a Python keyword)."""
        if not isinstance(raw, Mapping):
            self.problem(path, f"expected a table, got {_describe(raw)}")
            return _MISSING
        hints = typing.get_type_hints(cls, include_extras=True)
        known = {f.metadata.get("key", f.name): f for f in dataclasses.fields(cls) if f.name not in skip}
        for key in raw:
            if key not in known:
                self.problem(_join(path, key), "unknown key")
        values: dict[str, Any] = {}
        failed = False
        for key, fld in known.items():
            key_path = _join(path, key)
            if key not in raw:
                if fld.default is dataclasses.MISSING and fld.default_factory is dataclasses.MISSING:
                    self.problem(key_path, "is required")
                    failed = True
                continue
            value = self.value(hints[fld.name], raw[key], key_path)
            if value is _MISSING:
                failed = True
            else:
                values[fld.name] = value
        return _MISSING if failed else cls(**values)

    def value(self, hint: Any, raw: Any, path: str) -> Any:
        origin = typing.get_origin(hint)
        if origin is Annotated:
            _base, converter = typing.get_args(hint)
            return self.convert(converter, raw, path)
        if origin is list:
            return self.sequence(typing.get_args(hint)[0], raw, path)
        if origin is Literal:
            choices = typing.get_args(hint)
            if raw not in choices:
                self.problem(path, f"{_show(raw)} is not one of {', '.join(map(_show, choices))}")
                return _MISSING
            return raw
        if origin in (typing.Union, types.UnionType):
            raise TypeError(f"unsupported config type at {path}")
        if dataclasses.is_dataclass(hint):
            return self.section(hint, raw, path)  # type: ignore[arg-type]
        return self.scalar(hint, raw, path)

    def sequence(self, item_hint: Any, raw: Any, path: str) -> Any:
        if not isinstance(raw, list):
            self.problem(path, f"expected a list, got {_describe(raw)}")
            return _MISSING
        items = [self.value(item_hint, item, f"{path}[{i}]") for i, item in enumerate(raw)]
        return _MISSING if any(i is _MISSING for i in items) else items

    def convert(self, converter: Callable[[Any], Any], raw: Any, path: str) -> Any:
        try:
            return converter(raw)
        except ValueError as exc:
            self.problem(path, str(exc))
            return _MISSING

    def scalar(self, hint: type, raw: Any, path: str) -> Any:
        ok = isinstance(raw, hint) and not (hint is int and isinstance(raw, bool))
        if not ok:
            self.problem(path, f"expected {hint.__name__}, got {_describe(raw)}")
            return _MISSING
        return raw


def _join(path: str, key: str) -> str:
    if not path:
        return key
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _describe(raw: Any) -> str:
    return f"{type(raw).__name__} {_show(raw)}"


def _core_problems(config: Config) -> list[Problem]:
    """Rules across the core keys; each capability section checks its own (``problems(config)``)."""
    found: list[Problem] = []
    seen: set[str] = set()
    for i, person in enumerate(config.people):
        if person.slack in seen:
            found.append((f"people[{i}].slack", f'"{person.slack}" is listed twice'))
        seen.add(person.slack)
    if config.scheduler.tick < timedelta(seconds=1):
        found.append(("scheduler.tick", "must be at least 1s"))
    return found


def parse_config(raw: Mapping[str, Any], sections: Sequence[Any] = ()) -> Config:
    """The config from raw TOML data; ``sections`` are the capabilities' section classes (each with a
    ``KEY``; optionally ``ARRAY = True`` for a top-level array of tables such as ``[[cadence]]``, or
    ``TABLE = "gitlab"`` for keys that live in a shared table, as ``[gitlab] intake_project`` does)."""
    parser = _Parser()
    by_key: dict[str, Any] = {kind.KEY: kind for kind in sections if not hasattr(kind, "TABLE")}
    in_tables: dict[str, Any] = {kind.KEY: kind for kind in sections if hasattr(kind, "TABLE")}
    claimed: dict[str, set[str]] = {}
    for kind in in_tables.values():
        claimed.setdefault(kind.TABLE, set()).update(f.name for f in dataclasses.fields(kind))
    core_raw = {k: _without(v, claimed.get(k, set())) for k, v in raw.items() if k not in by_key}
    core = parser.section(Config, core_raw, "", skip={"sections"})
    parsed: dict[str, Any] = {}
    wanted = [k for k in by_key if k in raw] + [k for k, kind in in_tables.items() if kind.TABLE in raw]
    for key in wanted:
        kind = by_key.get(key) or in_tables[key]
        table = getattr(kind, "TABLE", None)
        own = raw[key] if table is None else _only(raw[table], {f.name for f in dataclasses.fields(kind)})
        value = parser.capability_section(kind, own, table or key)
        if value is not _MISSING:
            parsed[key] = value
    if core is _MISSING or len(parsed) != len(wanted):
        raise ConfigError(parser.problems)
    config = dataclasses.replace(core, sections=parsed)
    problems = _core_problems(config)
    for key, kind in {**by_key, **in_tables}.items():
        check = getattr(config.section(kind), "problems", None)
        if check is not None:
            problems += [(_join(getattr(kind, "TABLE", key), path), message) for path, message in check(config)]
    parser.problems += [f"{path}: {message}" for path, message in problems]
    if parser.problems:
        raise ConfigError(parser.problems)
    return config


def _without(table: Any, keys: set[str]) -> Any:
    """A shared table less the keys capabilities claim (anything else is left for the parser to judge)."""
    return {k: v for k, v in table.items() if k not in keys} if keys and isinstance(table, Mapping) else table


def _only(table: Any, keys: set[str]) -> Any:
    """Of a shared table, the keys one capability claims."""
    return {k: v for k, v in table.items() if k in keys} if isinstance(table, Mapping) else table


def load_config(path: str | Path, sections: Sequence[type] = ()) -> Config:
    """Read and validate the config file; a missing file means every default."""
    file = Path(path)
    if not file.exists():
        return Config()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{file}: not valid TOML: {exc}"]) from None
    return parse_config(raw, sections)


@dataclass(frozen=True)
class Settings:
    """What comes from the environment. Secrets are kept out of repr so they never reach a log."""

    bot_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///fulfillbot.db"
    config_path: str = "fulfillbot.toml"
    gitlab_url: str = "https://gitlab.com"
    gitlab_token: str = field(default="", repr=False)
    gitlab_webhook_secret: str = field(default="", repr=False)
    pagerduty_routing_key: str = field(default="", repr=False)
    status_page_token: str = field(default="", repr=False)
    alerts_token: str = field(default="", repr=False)
    sentry_client_secret: str = field(default="", repr=False)
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    ca_bundle: str = ""
    port: int = 3000
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        port_text = env.get("PORT", "3000")
        if not port_text.isdigit():
            raise ConfigError([f'PORT: "{port_text}" is not a port number'])
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN", ""),
            signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            app_token=env.get("SLACK_APP_TOKEN", ""),
            slack_api_url=env.get("SLACK_API_URL", cls.slack_api_url),
            database_url=env.get("DATABASE_URL", cls.database_url),
            config_path=env.get("FULFILLBOT_CONFIG", cls.config_path),
            gitlab_url=env.get("GITLAB_URL", cls.gitlab_url),
            gitlab_token=env.get("GITLAB_TOKEN", ""),
            gitlab_webhook_secret=env.get("GITLAB_WEBHOOK_SECRET", ""),
            pagerduty_routing_key=env.get("PAGERDUTY_ROUTING_KEY", ""),
            status_page_token=env.get("STATUS_PAGE_TOKEN", ""),
            alerts_token=env.get("ALERTS_TOKEN", ""),
            sentry_client_secret=env.get("SENTRY_CLIENT_SECRET", ""),
            pagerduty_events_url=env.get("PAGERDUTY_EVENTS_URL", cls.pagerduty_events_url),
            ca_bundle=env.get("REQUESTS_CA_BUNDLE") or env.get("SSL_CERT_FILE", ""),
            port=int(port_text),
            log_level=env.get("LOG_LEVEL", cls.log_level).upper(),
        )

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def secrets(self) -> list[str]:
        return [
            s
            for s in (
                self.bot_token,
                self.signing_secret,
                self.app_token,
                self.gitlab_token,
                self.gitlab_webhook_secret,
                self.pagerduty_routing_key,
                self.status_page_token,
                self.alerts_token,
                self.sentry_client_secret,
            )
            if s
        ]

    def problems_for_run(self) -> list[str]:
        problems = []
        if not self.bot_token:
            problems.append("SLACK_BOT_TOKEN: is required")
        if not self.socket_mode and not self.signing_secret:
            problems.append("SLACK_SIGNING_SECRET: is required in HTTP mode")
        return problems
