"""``-o table`` (the default): the terminal view, read top-down by an operator under pressure.

Verdict banner first, then what to fix (worst first, with the remediation beside each finding),
then what could not be checked, then the backing-image inventory. Evidence is cut short here;
``-o json`` has all of it. ``rich`` is imported inside :func:`render` to keep CLI start-up fast.
Cluster text is never parsed as rich markup: a ``[`` in an object's message must print as is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from hvguard.reports.render import (
    Report,
    by_severity,
    checks_not_run,
    cluster_line,
    copies_cell,
    counts_line,
    coverage_problems,
    human_size,
    rebuildable_cell,
    resource_label,
    source_line,
    truncate,
    used_by_cell,
    verdict_meaning,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

# Width used when the stream is not a terminal, so piped and CI output is stable.
PIPE_WIDTH = 120
EVIDENCE_PAIRS = 4
EVIDENCE_VALUE_WIDTH = 70
_VERDICT_STYLE = {"pass": "bold green", "warn": "bold yellow", "block": "bold red", "incomplete": "bold magenta"}
# Short forms of the prediction fates (the JSON keeps the full wording).
_FATE_LABEL = {
    "at-risk (files deleted, re-downloadable)": ("files deleted → re-download", "yellow"),
    "at-risk (files deleted, restorable from backup)": ("files deleted → restore backup", "yellow"),
    "at-risk (files deleted, not recoverable without backup)": ("files deleted → LOST (no backup)", "bold red"),
}
_SEVERITY_STYLE = {"block": "bold red", "warn": "bold yellow", "info": "bold cyan"}
# The exit status each verdict gives under every --fail-on policy (hvguard.cli.common.gate).
_EXIT = {
    "pass": "0",
    "warn": "1 with --fail-on warn, else 0",
    "block": "1 unless --fail-on never",
    "incomplete": "1 unless --fail-on never (incomplete counts as block)",
}


def render(report: Report, stream: TextIO) -> None:
    """The full preflight view, or the inventory alone for ``hvguard inventory``."""
    from rich.console import Console

    console = Console(
        file=stream, width=None if stream.isatty() else PIPE_WIDTH,
        markup=False, emoji=False, highlight=False,
    )
    if report["tool"]["command"] == "inventory":
        _print_inventory_view(report, console)
        return
    console.print(_banner(report))
    if report["tool"]["command"] == "predict":
        _print_predictions(report, console)
        return
    _print_findings(report, console)
    _print_predictions(report, console)
    _print_gaps(report, console)
    print_section(console, f"BACKING IMAGES ({len(report['inventory']['backingImages'])})", "bold")
    console.print(_inventory(report))


def _print_inventory_view(report: Report, console: Console) -> None:
    """``hvguard inventory``: one summary line, then the inventory table."""
    images = report["inventory"]["backingImages"]
    in_use = sum(1 for image in images if any(image["usedBy"].values()))
    fragile = sum(1 for image in images if not image["rebuildable"])
    console.print(
        f"{len(images)} backing image(s), {in_use} in use, {fragile} not rebuildable"
        f" — {cluster_line(report)} — {source_line(report)}"
    )
    console.print(_inventory(report))


def _banner(report: Report) -> RenderableType:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    verdict = report["verdict"]
    style = _VERDICT_STYLE[verdict]
    body = Table.grid(padding=(0, 2))
    body.add_column(style="dim", no_wrap=True)
    body.add_column(overflow="fold")
    body.add_row("meaning", Text(verdict_meaning(report), style=style))
    body.add_row("findings", counts_line(report))
    body.add_row("source", source_line(report))
    body.add_row("cluster", cluster_line(report))
    body.add_row("exit", _EXIT[verdict])
    title = Text.assemble((f" {verdict.upper()} ", f"{style} reverse"), f" hvguard {report['tool']['command']} ")
    return Panel(body, title=title, title_align="left", border_style=style.removeprefix("bold "))


def print_section(console: Console, title: str, style: str) -> None:
    from rich.rule import Rule
    from rich.text import Text

    console.print()
    console.print(Rule(Text(title, style=style), align="left", style=style.removeprefix("bold ")))


def _print_findings(report: Report, console: Console) -> None:
    """Findings in full, worst first; known issues this cluster is not (or not detectably) exposed to
    are listed one per line after them, so they do not bury what must be fixed."""
    detailed = [f for f in report["findings"] if not _path_only(f)]
    brief = [f for f in report["findings"] if _path_only(f)]
    if not report["findings"]:
        console.print()
        console.print("No findings.")
    for severity, findings in by_severity(detailed):
        print_section(console, f"{severity.upper()} ({len(findings)})", _SEVERITY_STYLE[severity])
        for index, finding in enumerate(findings):
            if index:
                console.print()
            console.print(_finding(finding, _SEVERITY_STYLE[severity]))
    if brief:
        _print_known_issues(brief, console)


def _path_only(finding: dict[str, Any]) -> bool:
    return bool(finding["check"] == "known-issues" and finding["severity"] != "block")


def _print_known_issues(findings: list[dict[str, Any]], console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    print_section(console, f"OTHER KNOWN ISSUES ON THIS PATH ({len(findings)})", "bold yellow")
    table = Table(box=None, padding=(0, 2), show_edge=False, show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for finding in findings:
        exposure = "check by hand" if finding["severity"] == "warn" else "not exposed"
        table.add_row(Text(finding["id"], style=_SEVERITY_STYLE[finding["severity"]]),
                      Text(f"{finding['title']} ({exposure})"))
    console.print(table)
    console.print(Text("mitigations and references: -o markdown or -o json", style="dim"))


def _finding(finding: dict[str, Any], style: str) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Text.assemble((finding["id"], style), "  ", resource_label(finding["resource"]))
    rows = Table.grid(padding=(0, 1))
    rows.add_column(width=2)
    rows.add_column(style="dim", no_wrap=True, min_width=len("evidence"))  # same indent for every finding
    rows.add_column(overflow="fold")
    rows.add_row("", "", finding["message"])
    rows.add_row("", "fix", Text(finding["remediation"], style="dim"))
    if finding["references"]:
        rows.add_row("", "see", Text(finding["references"][0], style="dim"))
    if finding["evidence"]:
        rows.add_row("", "evidence", Text(_evidence(finding["evidence"]), style="dim"))
    return Group(head, rows)


def _evidence(evidence: dict[str, Any]) -> str:
    """The first few pairs, one a line, values cut short; nested values are only counted."""
    lines = [f"{key}: {truncate(_scalar(value), EVIDENCE_VALUE_WIDTH)}"
             for key, value in list(evidence.items())[:EVIDENCE_PAIRS]]
    if len(evidence) > EVIDENCE_PAIRS:
        lines.append(f"(+{len(evidence) - EVIDENCE_PAIRS} more in -o json)")
    return "\n".join(lines)


def _scalar(value: Any) -> str:
    if isinstance(value, dict):
        return f"{{{len(value)} entries}}"
    if isinstance(value, list):
        return ", ".join(_scalar(item) for item in value) if value else "[]"
    return str(value)


def _print_predictions(report: Report, console: Console) -> None:
    """Per image, what the upgrade is expected to do; the reason chain once, for the first image at risk."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    predictions = report.get("predictions") or []
    if not predictions:
        return
    upgrade = report.get("upgrade") or {}
    at_risk = [p for p in predictions if p["atRisk"]]
    title = (f"WHAT {upgrade.get('from') or '?'} → {upgrade.get('to')} WILL DO TO EACH IMAGE "
             f"({len(at_risk)} of {len(predictions)} at risk)")
    print_section(console, title, "bold red" if at_risk else "bold green")
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold")
    for column in ("image", "source", "what happens", "VMs"):
        table.add_column(column, overflow="fold")
    for prediction in predictions:
        label, style = _FATE_LABEL.get(prediction["fate"], (prediction["fate"], ""))
        table.add_row(prediction.get("vmImage") or prediction["backingImage"], prediction["sourceType"],
                      Text(label, style=style), truncate(", ".join(prediction["vms"]) or "-", 40))
    console.print(table)
    if at_risk:
        console.print(Text("why:", style="bold"))
        for step, reason in enumerate(at_risk[0]["reasons"], 1):
            console.print(Text(f"  {step}. {reason}"))


def _print_gaps(report: Report, console: Console) -> None:
    """Resources not read and checks without an answer: what the verdict could not see."""
    from rich.table import Table

    problems = coverage_problems(report)
    not_run = checks_not_run(report)
    namespaces = report.get("namespacesNotCollected", [])
    if not (problems or not_run or namespaces):
        return
    print_section(console, "NOT CHECKED", "bold magenta")
    gaps = Table(box=None, padding=(0, 2), show_edge=False, header_style="dim")
    gaps.add_column("resource / check", no_wrap=True)
    gaps.add_column("status", no_wrap=True)
    gaps.add_column("why", overflow="fold")
    for entry in problems:
        gaps.add_row(entry["resource"], entry["status"], entry.get("reason") or entry.get("where") or "")
    for check in not_run:
        gaps.add_row(f"check {check['name']}", check["status"], check.get("detail") or "")
    if namespaces:
        gaps.add_row("namespaces", "not collected", ", ".join(namespaces))
    console.print(gaps)


def _inventory(report: Report) -> RenderableType:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    images = report["inventory"]["backingImages"]
    if not images:
        return Text("No backing images.")
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold")
    table.add_column("backing image", overflow="fold")
    table.add_column("VM image", overflow="fold")
    table.add_column("source", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("ready copies")
    table.add_column("used by")
    table.add_column("rebuildable")
    for image in images:
        table.add_row(
            image["name"],
            image.get("vmImage") or "-",
            image["sourceType"],
            human_size(image.get("size")),
            Text(copies_cell(image), style="" if image["readyCopies"] else "bold red"),
            used_by_cell(image, limit=3),
            Text(rebuildable_cell(image, width=50), style="" if image["rebuildable"] else "yellow"),
        )
    return table
