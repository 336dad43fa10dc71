"""``-o markdown``: the report for a ticket or a pull request, complete enough to act on.

Unlike the terminal table it keeps every VM name and the full evidence (folded in ``<details>``),
because a ticket is read later by someone without access to the cluster. Text from the cluster is
escaped, so a ``|`` cannot break a table and a ``<diskPath>`` is not swallowed as an HTML tag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, TextIO

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
    used_by_cell,
    verdict_meaning,
)

# Characters that would start emphasis, code, links or HTML in prose. "|" is handled per cell;
# "_" is left alone: it is intraword in names, paths and URLs, where GFM ignores it.
_SPECIAL = re.compile(r"([\\`*<>\[\]])")


def render(report: Report, stream: TextIO) -> None:
    stream.write("\n\n".join(_sections(report)) + "\n")


def _sections(report: Report) -> list[str]:
    verdict = report["verdict"]
    sections = [
        f"# hvguard {escape(report['tool']['command'])}: {verdict.upper()}",
        f"> **{verdict.upper()}** — {escape(verdict_meaning(report))}",
        md_table(("Verdict", f"**{verdict.upper()}**"), [
            ("Findings", counts_line(report)),
            ("Source", escape(source_line(report))),
            ("Cluster", escape(cluster_line(report))),
            ("hvguard", escape(report["tool"]["version"])),
        ]),
        "## Findings",
    ]
    groups = by_severity(report["findings"])
    if not groups:
        sections.append("No findings.")
    for severity, findings in groups:
        sections.append(f"### {severity.upper()} ({len(findings)})")
        sections.extend(_finding(finding) for finding in findings)
    sections.append(_predictions(report))
    sections.append(_gaps(report))
    sections.append(_checks(report))
    sections.append(_inventory(report))
    return [section for section in sections if section]


def _finding(finding: dict[str, Any]) -> str:
    resource = resource_label(finding["resource"])
    lines = [f"#### {code(finding['id'])}" + (f" — {code(resource)}" if resource else ""),
             "", escape(finding["message"]), "", f"**Remediation:** {escape(finding['remediation'])}"]
    if finding["references"]:
        lines += ["", "**References:** " + ", ".join(f"<{url}>" for url in finding["references"])]
    if finding["evidence"]:
        lines += ["", "<details><summary>Evidence</summary>", "",
                  _fence(json.dumps(finding["evidence"], indent=2, ensure_ascii=False), "json"), "", "</details>"]
    return "\n".join(lines)


def _gaps(report: Report) -> str:
    """Coverage problems and checks without an answer, or "" when the analysis saw everything."""
    problems = coverage_problems(report)
    not_run = checks_not_run(report)
    namespaces = report.get("namespacesNotCollected", [])
    if not (problems or not_run or namespaces):
        return ""
    rows = [(code(entry["resource"]), entry["status"], escape(entry.get("reason") or entry.get("where") or ""))
            for entry in problems]
    rows += [(f"check {code(check['name'])}", check["status"], escape(check.get("detail") or ""))
             for check in not_run]
    if namespaces:
        rows.append(("namespaces", "not collected", ", ".join(code(ns) for ns in namespaces)))
    return "## Not checked\n\n" + md_table(("Resource / check", "Status", "Why"), rows)


def _checks(report: Report) -> str:
    if not report["checks"]:
        return ""
    rows = [(code(check["name"]), check["status"], ", ".join(code(fid) for fid in check["findings"]))
            for check in report["checks"]]
    return "## Checks\n\n" + md_table(("Check", "Status", "Findings"), rows)


def _predictions(report: Report) -> str:
    predictions = report.get("predictions") or []
    if not predictions:
        return ""
    upgrade = report.get("upgrade") or {}
    rows = [(code(p["backingImage"]), code(p["vmImage"]) if p.get("vmImage") else "-", escape(p["sourceType"]),
             f"**{escape(p['fate'])}**" if p["atRisk"] else escape(p["fate"]),
             escape(" → ".join(p["reasons"]))) for p in predictions]
    title = f"## Predicted effect of {escape(str(upgrade.get('from') or '?'))} → {escape(str(upgrade.get('to')))}"
    return f"{title}\n\n" + md_table(("Backing image", "VM image", "Source", "Fate", "Why"), rows)


def _inventory(report: Report) -> str:
    images = report["inventory"]["backingImages"]
    if not images:
        return f"## Backing images ({len(images)})\n\nNo backing images."
    rows = [(code(image["name"]), code(image["vmImage"]) if image.get("vmImage") else "-",
             escape(image["sourceType"]), human_size(image.get("size")), escape(copies_cell(image)),
             escape(used_by_cell(image)), escape(rebuildable_cell(image)))
            for image in images]
    header = ("Backing image", "VM image", "Source", "Size", "Ready copies", "Used by", "Rebuildable")
    return f"## Backing images ({len(images)})\n\n" + md_table(header, rows)


def md_table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    """Cells are Markdown already; here only what breaks a row is escaped."""
    lines = [_row(header), "|" + "---|" * len(header)]
    lines += [_row(row) for row in rows]
    return "\n".join(lines)


def _row(cells: tuple[str, ...]) -> str:
    # GFM splits a row at every unescaped "|", even inside a code span.
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", "<br>") for cell in cells) + " |"


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def code(text: str) -> str:
    """A code span whose fence is longer than any backtick run inside it."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if fence != "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fence(text: str, lang: str) -> str:
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}{lang}\n{text}\n{fence}"
