"""Renderers for plan documents (``hvguard.plan/v1``): what protect/recover would do, step by step."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO

from hvguard.reports import json_out
from hvguard.reports.markdown import code, escape, md_table
from hvguard.reports.render import resource_label

PlanDoc = dict[str, Any]
FORMATS = ("table", "json", "markdown")
TABLE_COMMAND_LIMIT = 600


def render(doc: PlanDoc, fmt: str, stream: TextIO) -> None:
    {"table": _table, "json": json_out.render, "markdown": _markdown}[fmt](doc, stream)


def _status(action: dict[str, Any]) -> str:
    if not action["automatic"]:
        return "manual"
    return "will apply" if action["picked"] else f"alternative #{action['option']}"


def _lines(doc: PlanDoc) -> Iterator[tuple[dict[str, Any], str]]:
    for number, action in enumerate(doc["actions"], 1):
        yield action, f"{number}. [{_status(action)}] {action['action']} → {resource_label(action['target'])}: {action['title']}"


def _table(doc: PlanDoc, stream: TextIO) -> None:
    """Plain text on purpose: plans are read, copied into tickets and pasted into shells."""
    actions = doc["actions"]
    applied = sum(1 for a in actions if a["picked"] and a["automatic"])
    stream.write(f"hvguard {doc['tool']['command']} plan for {doc['source']}: {len(actions)} step(s), "
                 f"{applied} would be applied with --apply\n")
    if not actions:
        stream.write("Nothing to do.\n")
    for action, headline in _lines(doc):
        stream.write(f"\n{headline}\n   why: {action['reason']}" + (f" ({action['finding']})" if action["finding"] else "") + "\n")
        for note in action["notes"]:
            stream.write(f"   note: {note}\n")
        for change in action["changes"]:
            stream.write("   $ " + _shortened(change["kubectl"]).replace("\n", "\n     ") + "\n")
        if action["wait"]:
            wait = action["wait"]
            stream.write(f"   then wait until {wait['name']} {wait['path']} == {wait['equals']!r}\n")
    for note in doc["notes"]:
        stream.write(f"\nnote: {note}\n")


def _shortened(command: str) -> str:
    """A whole CRD is tens of kilobytes on one line: the table shows its start, the other formats all of it."""
    if len(command) <= TABLE_COMMAND_LIMIT:
        return command
    rest = len(command) - TABLE_COMMAND_LIMIT
    return f"{command[:TABLE_COMMAND_LIMIT]}… ({rest} more characters: -o json or -o markdown has it all)"


def _markdown(doc: PlanDoc, stream: TextIO) -> None:
    parts = [f"# hvguard {escape(doc['tool']['command'])} plan", f"Source: {escape(doc['source'])}"]
    rows = [(str(n), escape(_status(a)), code(a["action"]), escape(resource_label(a["target"])), escape(a["reason"]))
            for n, a in enumerate(doc["actions"], 1)]
    parts.append(md_table(("#", "Status", "Action", "Target", "Why"), rows) if rows else "Nothing to do.")
    for action, headline in _lines(doc):
        commands = "\n".join(c["kubectl"] for c in action["changes"])
        parts.append(f"### {escape(headline)}\n\n" + "\n".join(f"- {escape(n)}" for n in action["notes"])
                     + (f"\n\n```sh\n{commands}\n```" if commands else ""))
    parts += [f"> {escape(note)}" for note in doc["notes"]]
    stream.write("\n\n".join(parts) + "\n")
