"""Each capability is a module boundary (README, "Adding a capability"): from outside
``handlers/NAME/``, only ``handlers.NAME.api`` is imported (the composition root,
``handlers/__init__.py``, imports each package for its ``CAPABILITY``); the plumbing in ``slackbot/``
imports no capability at all. Checked on the source, so CI fails on the first import across."""

from __future__ import annotations

import ast
from pathlib import Path

from slackbot.capability import Capability, installed
from slackbot.testing.harness import TEAM, Harness

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ROOT / "handlers"


def imported(source: str) -> list[tuple[int, str]]:
    """Every module a file imports (anywhere in it), fully named: ``from a import b`` counts as ``a.b``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def crossings(path: Path, own: str | None, source: str | None = None) -> list[str]:
    """Imports of another capability's internals from ``path`` (in capability ``own``, or None for
    the composition root and the plumbing)."""
    bad = []
    for line, name in imported(path.read_text() if source is None else source):
        parts = name.split(".")
        if parts[0] != "handlers" or len(parts) < 2 or parts[1] == own:
            continue
        if path == HANDLERS / "__init__.py" and len(parts) == 2:
            continue  # the composition root lists the packages
        if path.is_relative_to(ROOT / "slackbot") or len(parts) < 3 or parts[2] != "api":
            bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return bad


def test_no_module_imports_another_capabilitys_internals() -> None:
    bad = []
    for path in sorted(HANDLERS.rglob("*.py")):
        inside = path.relative_to(HANDLERS).parts
        bad += crossings(path, inside[0] if len(inside) > 1 else None)
    for path in sorted((ROOT / "slackbot").rglob("*.py")):
        bad += crossings(path, None)
    assert bad == []


def test_the_check_sees_an_import_across() -> None:
    """The rule itself fails on what it forbids (a test that cannot fail is a defect)."""
    source = "from handlers.incidents.service import open_incidents\nfrom handlers.status import api\n"
    assert crossings(HANDLERS / "oncall" / "x.py", "oncall", source) == [
        "handlers/oncall/x.py:1 imports handlers.incidents.service.open_incidents"
    ]
    assert crossings(ROOT / "slackbot" / "x.py", None, "from handlers.status import api\n") == [
        "slackbot/x.py:1 imports handlers.status.api"
    ]


def test_every_capability_that_others_use_has_a_public_surface() -> None:
    used = {
        name.split(".")[1]
        for path in HANDLERS.rglob("*.py")
        for _line, name in imported(path.read_text())
        if name.startswith("handlers.") and name.count(".") >= 2 and name.split(".")[2] == "api"
    }
    assert used and all((HANDLERS / capability / "api.py").exists() for capability in used)


def test_the_readmes_example_capability_answers_its_command(tmp_path: Path) -> None:
    """README, "Adding a capability": the five lines, as written there, make a working capability."""
    readme = (ROOT / "README.md").read_text()
    example = readme.split("# handlers/hello/__init__.py\n", 1)[1].split("```", 1)[0]
    assert len([line for line in example.splitlines() if line.strip()]) <= 5
    namespace: dict[str, object] = {}
    exec(compile(example, "handlers/hello/__init__.py", "exec"), namespace)
    hello = namespace["CAPABILITY"]
    assert isinstance(hello, Capability)
    with Harness(f"sqlite:///{tmp_path / 'bot.db'}", capabilities=[*installed(), hello]) as harness:
        harness.driver.command(TEAM[0].id, "/hello")
        assert harness.sim.ephemerals_for(TEAM[0].id)[-1]["text"] == f"Hello <@{TEAM[0].id}>!"
