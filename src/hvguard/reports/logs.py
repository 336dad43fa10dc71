"""The ``hvguard logs`` document: what the Longhorn logs and events say happened to the VM images.

``build`` turns a log scan and its findings into one plain, JSON-ready document, ``hvguard.logs/v1``
(``schemas/logs-v1.json``). The timeline has one entry per group of hits, oldest first. The story
names the stages in the order they happened (migration -> pruned fields -> deletions -> waiting
replicas). ``render`` writes it as a table, JSON or Markdown. As with the other documents, each
format reads only the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from hvguard import __version__
from hvguard.analysis.findings import Finding
from hvguard.logs.collect import LogScan
from hvguard.logs.scan import Group, stamp
from hvguard.reports import json_out
from hvguard.reports.markdown import _fence, code, escape, md_table
from hvguard.reports.render import SEVERITIES, by_severity, truncate
from hvguard.reports.table import _SEVERITY_STYLE, PIPE_WIDTH, print_section

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

SCHEMA = "hvguard.logs/v1"
FORMATS = ("table", "json", "markdown")
LogsDoc = dict[str, Any]

STAGE_LABELS = {
    "migration": "migration ran",
    "pruned-write": "fields pruned",
    "pruned-window": "images without a disk map",
    "strict-refused": "migration refused (strict)",
    "deletion": "managers and files deleted",
    "recovery": "recovery",
    "consumer": "replicas waiting",
    "crash": "manager crashed",
}
# The terminal shows this many timeline rows; Markdown and JSON show all.
TABLE_ROWS = 60
SAMPLE_WIDTH = 160
_INPUT_OK = frozenset({"read", "absent"})


def build(scan: LogScan, findings: Sequence[Finding], *, since: str | None = None, tail: int | None = None) -> LogsDoc:
    """The logs document; ``since`` and ``tail`` are the options as given, for the record."""
    timeline = [_entry(group) for group in scan.groups]
    found = [finding.as_dict() for finding in findings]
    return {
        "schema": SCHEMA,
        "tool": {"name": "hvguard", "version": __version__, "command": "logs"},
        "source": {"type": scan.source.type, "location": scan.source.location,
                   "collectedAt": scan.source.collected_at, "since": since, "sinceTime": stamp(scan.since),
                   "tail": tail},
        "summary": {
            **{severity: sum(1 for f in found if f["severity"] == severity) for severity in SEVERITIES},
            "matches": sum(entry["count"] for entry in timeline),
            "inputs": len(scan.inputs),
            "incomplete": sum(1 for i in scan.inputs if i.status not in _INPUT_OK),
        },
        "story": _story(timeline),
        "timeline": timeline,
        "findings": found,
        "inputs": [i.as_dict() for i in scan.inputs],
    }


def render(doc: LogsDoc, fmt: str, stream: TextIO) -> None:
    """Write ``doc`` to ``stream`` in ``fmt`` (one of :data:`FORMATS`)."""
    renderers = {"table": _render_table, "json": json_out.render, "markdown": _render_markdown}
    if fmt not in renderers:
        raise ValueError(f"unknown logs format {fmt!r}; expected one of {', '.join(FORMATS)}")
    renderers[fmt](doc, stream)


# --- building -------------------------------------------------------------------------------------


def _entry(group: Group) -> dict[str, Any]:
    signature = group.signature
    return {
        "firstSeen": stamp(group.first),
        "lastSeen": stamp(group.last),
        "count": group.count,
        "signature": signature.id,
        "findingId": signature.finding_id,
        "stage": signature.stage,
        "severity": signature.severity,
        "title": signature.title,
        "origin": group.origin.as_dict(),
        "objects": dict(group.objects),
        "samples": list(group.samples),
        "knownVersion": group.known_version,
    }


def _story(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stages in the order they first appear (the timeline is oldest first, undated entries last)."""
    stages: dict[str, dict[str, Any]] = {}
    for entry in timeline:
        stage = stages.setdefault(entry["stage"], {"stage": entry["stage"], "label": STAGE_LABELS[entry["stage"]],
                                                   "firstSeen": entry["firstSeen"], "lastSeen": None, "count": 0,
                                                   "signatures": []})
        stage["count"] += entry["count"]
        stage["lastSeen"] = _later(stage["lastSeen"], entry["lastSeen"])
        if entry["signature"] not in stage["signatures"]:
            stage["signatures"].append(entry["signature"])
    return list(stages.values())


def _later(a: str | None, b: str | None) -> str | None:
    """The later of two document times (they sort as text); None only when both are."""
    return max(filter(None, (a, b)), default=None)


# --- wording shared by the table and the Markdown ----------------------------------------------------


def source_text(doc: LogsDoc) -> str:
    source = doc["source"]
    parts = [f"{source['type']} {source['location']}"]
    if source["collectedAt"]:
        parts.append(f"collected {source['collectedAt']}")
    if source["since"]:
        parts.append(f"since {source['since']} (from {short_time(source['sinceTime'])})")
    if source["tail"] is not None:
        parts.append(f"last {source['tail']} line(s) per container")
    return " · ".join(parts)


def counts_text(doc: LogsDoc) -> str:
    summary = doc["summary"]
    findings = " · ".join(f"{summary[severity]} {severity}" for severity in SEVERITIES)
    incomplete = f", {summary['incomplete']} not fully read" if summary["incomplete"] else ""
    return f"{findings} · {summary['matches']} match(es) in {summary['inputs']} input(s){incomplete}"


def story_text(doc: LogsDoc) -> str:
    """``09:14:07 migration ran → 09:14:08 fields pruned ×18 → …``, or a sentence when nothing matched."""
    if not doc["story"]:
        return "no known storage warning in the logs and events read"
    return " → ".join(f"{short_time(stage['firstSeen'])} {stage['label']}{_times(stage['count'])}"
                      for stage in doc["story"])


def _times(count: int) -> str:
    return f" ×{count}" if count > 1 else ""


def short_time(value: str | None) -> str:
    """``2025-03-24 09:14:07`` (UTC, to the second) for people; the document keeps microseconds."""
    return value[:19].replace("T", " ") if value else "time unknown"


def when_text(entry: dict[str, Any]) -> str:
    first, last = short_time(entry["firstSeen"]), short_time(entry["lastSeen"])
    return first if first == last else f"{first} … {last[11:] if first[:10] == last[:10] else last}"


def objects_text(objects: dict[str, Any]) -> str:
    """``role=name`` for one name, ``N role(s)`` for several (as ``folded`` leaves them)."""
    return ", ".join(f"{role}={names}" if isinstance(names, str) else
                     (f"{role}={names[0]}" if len(names) == 1 else f"{len(names)} {role}(s)")
                     for role, names in objects.items())


def folded(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Timeline entries merged per signature and source, in the order each first appears."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in timeline:
        row = rows.setdefault((entry["signature"], entry["origin"]["label"]),
                              {**entry, "count": 0, "objects": {}})
        row["count"] += entry["count"]
        row["lastSeen"] = _later(row["lastSeen"], entry["lastSeen"])
        for role, name in entry["objects"].items():
            names = row["objects"].setdefault(role, [])
            if name not in names:
                names.append(name)
    return list(rows.values())


def input_problems(doc: LogsDoc) -> list[dict[str, Any]]:
    return [entry for entry in doc["inputs"] if entry["status"] not in _INPUT_OK]


def input_label(entry: dict[str, Any]) -> str:
    return str(entry["origin"]["label"] if "origin" in entry else entry["type"])


# --- table -----------------------------------------------------------------------------------------------


def _render_table(doc: LogsDoc, stream: TextIO) -> None:
    """Counts and the story first, then the timeline, the findings and what could not be read."""
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, width=None if stream.isatty() else PIPE_WIDTH,
                      markup=False, emoji=False, highlight=False)
    console.print(Text("hvguard logs", style="bold"), Text(source_text(doc), style="dim"))
    console.print(counts_text(doc))
    console.print(Text.assemble(("STORY  ", "bold"), story_text(doc)))
    _table_timeline(doc, console)
    for severity, findings in by_severity(doc["findings"]):
        print_section(console, f"{severity.upper()} ({len(findings)})", _SEVERITY_STYLE[severity])
        for index, finding in enumerate(findings):
            if index:
                console.print()
            console.print(_finding_block(finding, _SEVERITY_STYLE[severity]))
    problems = input_problems(doc)
    if problems:
        print_section(console, f"NOT FULLY READ ({len(problems)})", "bold magenta")
        for entry in problems:
            console.print(Text.assemble((f"{input_label(entry)}  {entry['status']}", "bold"), "  ",
                                        entry["reason"] or entry["where"]))


def _table_timeline(doc: LogsDoc, console: Console) -> None:
    """The timeline folded per signature and source, one row in two lines: when, how often and which
    signature; then where and what it names (the document keeps one entry per object set)."""
    from rich.table import Table
    from rich.text import Text

    rows = folded(doc["timeline"])
    print_section(console, f"TIMELINE ({len(doc['timeline'])} entries, oldest first)", "bold")
    if not rows:
        console.print("Nothing matched.")
        return
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim")
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("×", justify="right", no_wrap=True)
    table.add_column("signature · source · objects", overflow="fold")
    for row in rows[:TABLE_ROWS]:
        details = "  ".join(filter(None, (row["origin"]["label"], objects_text(row["objects"]))))
        what = Text.assemble((row["signature"], _SEVERITY_STYLE[row["severity"]]), "\n", (details, "dim"))
        table.add_row(when_text(row), str(row["count"]), what)
    console.print(table)
    if len(rows) > TABLE_ROWS:
        console.print(Text(f"(+{len(rows) - TABLE_ROWS} more: -o markdown or -o json)", style="dim"))


def _finding_block(finding: dict[str, Any], style: str) -> RenderableType:
    from rich.console import Group as RichGroup
    from rich.table import Table
    from rich.text import Text

    rows = Table.grid(padding=(0, 1))
    rows.add_column(width=2)
    rows.add_column(style="dim", no_wrap=True, min_width=len("sample"))
    rows.add_column(overflow="fold")
    rows.add_row("", "", finding["message"])
    if finding["evidence"]["samples"]:
        rows.add_row("", "sample", Text(truncate(finding["evidence"]["samples"][0], SAMPLE_WIDTH), style="dim"))
    rows.add_row("", "fix", Text(finding["remediation"], style="dim"))
    rows.add_row("", "see", Text(finding["references"][0], style="dim"))
    return RichGroup(Text.assemble((finding["id"], style), "  ", finding["title"]), rows)


# --- Markdown ------------------------------------------------------------------------------------------


def _render_markdown(doc: LogsDoc, stream: TextIO) -> None:
    """For a ticket: the whole timeline, every finding with its sources and samples."""
    stream.write("\n\n".join(section for section in _markdown_sections(doc) if section) + "\n")


def _markdown_sections(doc: LogsDoc) -> list[str]:
    sections = [
        "# hvguard logs",
        md_table(("", ""), [("Source", escape(source_text(doc))), ("Found", escape(counts_text(doc))),
                            ("Story", escape(story_text(doc))), ("hvguard", escape(doc["tool"]["version"]))]),
        f"## Timeline ({len(doc['timeline'])} entries, oldest first)",
        md_table(("When (UTC)", "×", "Signature", "Source", "Objects"), [
            (escape(when_text(e)), str(e["count"]), code(e["signature"]), code(e["origin"]["label"]),
             escape(objects_text(e["objects"]))) for e in doc["timeline"]]) if doc["timeline"] else "Nothing matched.",
        f"## Findings ({len(doc['findings'])})",
    ]
    sections += [_md_finding(finding) for finding in doc["findings"]]
    problems = input_problems(doc)
    if problems:
        rows = [(code(input_label(entry)), entry["status"], escape(entry["reason"] or entry["where"]))
                for entry in problems]
        sections += ["## Not fully read", md_table(("Input", "Status", "Why"), rows)]
    return sections


def _md_finding(finding: dict[str, Any]) -> str:
    evidence = finding["evidence"]
    sources = md_table(("Source", "×", "First", "Last"), [
        (code(source["label"]), str(source["count"]), short_time(source["firstSeen"]), short_time(source["lastSeen"]))
        for source in evidence["sources"]])
    return "\n".join([
        f"### {finding['severity'].upper()} {code(finding['id'])} — {escape(finding['title'])}",
        "",
        escape(finding["message"]),
        "",
        f"**Why:** {escape(finding['why'])}",
        "",
        f"**Remediation:** {escape(finding['remediation'])}",
        "",
        "**References:** " + ", ".join(f"<{url}>" for url in finding["references"]),
        "",
        sources,
        "",
        _fence("\n".join(evidence["samples"]), "text"),
    ])
