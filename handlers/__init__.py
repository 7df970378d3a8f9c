"""The composition root: every package here is a capability exporting ``CAPABILITY``.

They are found by walking this package, so adding a capability touches only its own package (and
a migration and the manifest). The plumbing reaches this function through the ``fulfillbot``
entry point and never imports ``handlers`` itself.
"""

from __future__ import annotations

import importlib
import pkgutil

from slackbot.capability import Capability, config_sections


def capabilities() -> list[Capability]:
    found = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.ispkg:
            capability = getattr(importlib.import_module(f"{__name__}.{module.name}"), "CAPABILITY", None)
            if isinstance(capability, Capability):
                found.append(capability)
    return found


def sections() -> list[type]:
    """Every capability's config section classes, for parsing a config file."""
    return config_sections(capabilities())
