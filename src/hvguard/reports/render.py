"""Picks the renderer for an output format, and holds the wording every human format shares.

Each format module exposes ``render(report, stream)`` and reads only the report document
(``model.build``). They are imported on first use so that ``hvguard --help`` does not pay for
``rich`` or ElementTree. The helpers below exist so that the table and the Markdown say the same
thing in the same words; none of them decides anything the analysis has not already decided.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any, TextIO

# The same shape as ``model.Report``, named here so renderers need not import the analysis.
Report = dict[str, Any]

FORMATS = ("table", "json", "markdown", "junit")
_MODULES = {"table": "table", "json": "json_out", "markdown": "markdown", "junit": "junit"}

SEVERITIES = ("block", "warn", "info")
# What each verdict asks of the operator; the CLI's exit status carries the same meaning.
_MEANINGS = {
    # before an upgrade (preflight, predict, inventory)
    "preflight": {
        "pass": "Safe to proceed: every check ran and nothing puts VM images at risk.",
        "warn": "Upgrade only after reading the warnings: some VM images are poorly protected.",
        "block": "Do not upgrade: VM images are lost or would be lost.",
        "incomplete": "No decision: some checks could not run on this data; fix coverage and run again.",
    },
    # after an upgrade, against the pre-upgrade snapshot
    "verify": {
        "pass": "The upgrade kept every VM image: nothing was lost or degraded.",
        "warn": "Nothing lost, but some images are degraded or still recovering: read the warnings.",
        "block": "VM images were lost or are unusable: do not start affected VMs; run hvguard recover.",
        "incomplete": "No decision: some comparisons could not run on this data; fix coverage and run again.",
    },
}


def verdict_meaning(report: Report) -> str:
    """What the verdict means for this command (a lost image after an upgrade is not 'do not upgrade')."""
    meanings = _MEANINGS.get(report["tool"]["command"], _MEANINGS["preflight"])
    return meanings[report["verdict"]]
# Coverage statuses that mean objects may be missing from the analysis ("absent" is known-empty).
_COVERAGE_OK = frozenset({"read", "absent"})
_NOT_RUN = frozenset({"unknown", "error", "skipped"})


def render(report: Report, fmt: str, stream: TextIO) -> None:
    """Write ``report`` to ``stream`` in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in _MODULES:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    importlib.import_module(f"hvguard.reports.{_MODULES[fmt]}").render(report, stream)


def by_severity(findings: Iterable[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Non-empty groups, worst first, each keeping the analysis' order."""
    groups: dict[str, list[dict[str, Any]]] = {sev: [] for sev in SEVERITIES}
    for finding in findings:
        groups[finding["severity"]].append(finding)
    return [(sev, items) for sev, items in groups.items() if items]


def counts_line(report: Report) -> str:
    return " · ".join(f"{report['summary'][sev]} {sev}" for sev in SEVERITIES)


def source_line(report: Report) -> str:
    source = report["source"]
    collected = f" (collected {source['collectedAt']})" if source.get("collectedAt") else ""
    return f"{source['type']} {source['location']}{collected}"


def cluster_line(report: Report) -> str:
    cluster = report["cluster"]
    parts = [f"Harvester {cluster['harvesterVersion'] or 'unknown'}",
             f"Longhorn {cluster['longhornVersion'] or 'unknown'}"]
    if cluster.get("kubernetesVersion"):
        parts.append(f"Kubernetes {cluster['kubernetesVersion']}")
    parts.append(f"{cluster['nodes']} node(s)")
    if report.get("target"):
        parts.append(f"target {report['target']}")
    return " · ".join(parts)


def resource_label(ref: dict[str, Any] | None) -> str:
    """``Kind namespace/name``, or "" for a finding about the whole cluster or source."""
    if not ref:
        return ""
    where = f"{ref['namespace']}/" if ref.get("namespace") else ""
    return f"{ref['kind']} {where}{ref['name']}"


def coverage_problems(report: Report) -> list[dict[str, Any]]:
    return [entry for entry in report["coverage"] if entry["status"] not in _COVERAGE_OK]


def checks_not_run(report: Report) -> list[dict[str, Any]]:
    """Checks without an answer; an ERROR one explains an INCOMPLETE verdict that has no finding."""
    return [check for check in report["checks"] if check["status"] in _NOT_RUN]


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    value, index = float(size), 0
    while value >= 1024 and index < len(units) - 1:
        value /= 1024
        index += 1
    if index == 0:
        return f"{size} B"
    return f"{value:.1f} {units[index]}" if value < 10 else f"{value:.0f} {units[index]}"


def copies_cell(image: dict[str, Any]) -> str:
    """``ready/total`` plus the nodes that hold the ready copies."""
    nodes = sorted({copy["node"] for copy in image["copies"] if copy["state"] == "ready"})
    held = f" on {', '.join(nodes)}" if nodes else ""
    return f"{image['readyCopies']}/{len(image['copies'])}{held}"


def used_by_cell(image: dict[str, Any], limit: int | None = None) -> str:
    """VM count and names (the first ``limit``); volumes only when no VM is known to use them."""
    used = image["usedBy"]
    vms = used["vms"]
    if vms:
        shown = vms if limit is None else vms[:limit]
        more = f", +{len(vms) - len(shown)} more" if len(vms) > len(shown) else ""
        return f"{len(vms)} VM(s): {', '.join(shown)}{more}"
    if used["volumes"] or used["pvcs"]:
        return f"no VM; {len(used['volumes'])} volume(s), {len(used['pvcs'])} PVC(s)"
    return "unused"


def rebuildable_cell(image: dict[str, Any], width: int | None = None) -> str:
    answer = "yes" if image["rebuildable"] else "no"
    reason = image.get("rebuildReason") or ""
    text = f"{answer}: {reason}" if reason else answer
    return text if width is None else truncate(text, width)
