"""Slack's limits on what a message or a view may carry, as the simulator enforces them.

From Slack's Block Kit reference: 50 blocks in a message and 100 in a modal or Home view; a
section's text at most 3,000 characters, a header's 150, a button's 75, an option's 75; an
``action_id`` or ``block_id`` at most 255; a modal's title 24; ``block_id`` unique in its
message or view. A message's ``text`` beyond 40,000 characters is refused by ``chat.postMessage``
and ``chat.update`` (``msg_too_long``) and cut off elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMIT = 40_000
SECTION_TEXT = 3_000
HEADER_TEXT = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75
ID_LENGTH = 255
MODAL_TITLE = 24
LABEL_TEXT = 2_000
CONTEXT_TEXT = 3_000


def _text(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def _element_problems(element: Any) -> Iterator[str]:
    if not isinstance(element, dict):
        yield "an element is not an object"
        return
    if len(str(element.get("action_id", ""))) > ID_LENGTH:
        yield f"action_id longer than {ID_LENGTH}"
    if element.get("type") == "button" and len(_text(element.get("text"))) > BUTTON_TEXT:
        yield f"button text longer than {BUTTON_TEXT}"
    for option in [*(element.get("options") or []), *(element.get("initial_options") or [])]:
        if len(_text(option.get("text") if isinstance(option, dict) else None)) > OPTION_TEXT:
            yield f"option text longer than {OPTION_TEXT}"


def _block_problems(block: Any) -> Iterator[str]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        yield "a block without a type"
        return
    kind = block["type"]
    if len(str(block.get("block_id", ""))) > ID_LENGTH:
        yield f"block_id longer than {ID_LENGTH}"
    if kind == "section":
        if len(_text(block.get("text"))) > SECTION_TEXT:
            yield f"section text longer than {SECTION_TEXT}"
        if not _text(block.get("text")) and not block.get("fields"):
            yield "a section without text"
    if kind == "header" and len(_text(block.get("text"))) > HEADER_TEXT:
        yield f"header text longer than {HEADER_TEXT}"
    if kind == "input" and len(_text(block.get("label"))) > LABEL_TEXT:
        yield f"input label longer than {LABEL_TEXT}"
    if kind == "context":
        for element in block.get("elements") or []:
            if len(_text(element)) > CONTEXT_TEXT:
                yield f"context text longer than {CONTEXT_TEXT}"
    elements = list(block.get("elements") or []) if kind == "actions" else []
    if kind == "input" and block.get("element") is not None:
        elements.append(block["element"])
    if block.get("accessory") is not None:
        elements.append(block["accessory"])
    for element in elements:
        yield from _element_problems(element)


def block_problems(blocks: Any, limit: int) -> list[str]:
    """Why Slack would answer ``invalid_blocks`` for these blocks (empty when it would not)."""
    if not isinstance(blocks, list):
        return ["blocks is not a list"]
    problems = [f"more than {limit} blocks"] if len(blocks) > limit else []
    seen: set[str] = set()
    for block in blocks:
        problems += list(_block_problems(block))
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id:
            if block_id in seen:
                problems.append(f"duplicate block_id {block_id}")
            seen.add(str(block_id))
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """Why Slack would refuse this modal or Home view."""
    problems = block_problems(view.get("blocks", []), VIEW_BLOCKS)
    if view.get("type") == "modal":
        title = _text(view.get("title"))
        if not title or len(title) > MODAL_TITLE:
            problems.append(f"modal title empty or longer than {MODAL_TITLE}")
        for key in ("submit", "close"):
            if view.get(key) is not None and len(_text(view[key])) > MODAL_TITLE:
                problems.append(f"modal {key} longer than {MODAL_TITLE}")
    return problems
