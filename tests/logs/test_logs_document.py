"""The logs document and its renderers, and the findings built from signatures."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from logkit import BUNDLE_AT, SIGNATURES, dir_bundle, example, stamped

from hvguard.analysis import graph
from hvguard.analysis.context import CheckContext
from hvguard.analysis.findings import Severity
from hvguard.logs.bundle_logs import read_bundle
from hvguard.logs.collect import LogScan
from hvguard.logs.findings import log_findings, scan_findings, spec_for
from hvguard.reports import logs as document
from hvguard.sources.bundle import load_bundle
from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.demo import demo_cluster

LogsDoc = dict[str, Any]
MANAGER_LOG = "longhorn-system/longhorn-manager-x7k2p/longhorn-manager.log"


def doc_of(scan: LogScan, validate: Callable[[LogsDoc], LogsDoc]) -> LogsDoc:
    return validate(document.build(scan, scan_findings(scan)))


def rendered(doc: LogsDoc, fmt: str) -> str:
    stream = io.StringIO()
    document.render(doc, fmt, stream)
    return stream.getvalue()


def test_nothing_matched_says_so_in_every_format(tmp_path: Path, validate: Callable[[LogsDoc], LogsDoc]) -> None:
    doc = doc_of(read_bundle(dir_bundle(tmp_path, {MANAGER_LOG: stamped(["all quiet"], BUNDLE_AT)})), validate)
    assert (doc["story"], doc["timeline"], doc["findings"]) == ([], [], [])
    table = rendered(doc, "table")
    assert "no known storage warning" in table and "Nothing matched." in table
    assert "Nothing matched." in rendered(doc, "markdown")


def test_markdown_keeps_cluster_text_from_breaking_tables_and_fences(tmp_path: Path,
                                                                      validate: Callable[[LogsDoc], LogsDoc]) -> None:
    line = 'note="a | b <diskPath> ``` `x`" ' + example("backing-image-unrecoverable")
    doc = doc_of(read_bundle(dir_bundle(tmp_path, {MANAGER_LOG: stamped([line], BUNDLE_AT)})), validate)
    text = rendered(doc, "markdown")
    assert "````text\n" in text  # a fence longer than the sample's own backticks
    assert "a | b <diskPath>" in text.split("````text\n")[1]
    timeline_row = next(row for row in text.splitlines() if row.startswith("| 2026-11-01"))
    assert timeline_row.count(" | ") == 4


def test_the_table_folds_the_timeline_and_says_what_is_left_out(tmp_path: Path,
                                                                 validate: Callable[[LogsDoc], LogsDoc]) -> None:
    logs = {f"longhorn-system/longhorn-manager-{index:05d}/longhorn-manager.log": stamped(
        [example("replica-waiting-for-backing-image")] * 2 + [example("eviction-panic")], BUNDLE_AT)
        for index in range(document.TABLE_ROWS)}
    doc = doc_of(read_bundle(dir_bundle(tmp_path, logs)), validate)
    assert len(doc["timeline"]) == 2 * document.TABLE_ROWS
    table = rendered(doc, "table")
    assert f"(+{document.TABLE_ROWS} more: -o markdown or -o json)" in table
    folded = document.folded(doc["timeline"])
    assert [row["count"] for row in folded[:1]] == [2]


def test_inputs_not_fully_read_are_listed(tmp_path: Path, validate: Callable[[LogsDoc], LogsDoc]) -> None:
    root = dir_bundle(tmp_path, {MANAGER_LOG: stamped([example("eviction-panic")], BUNDLE_AT)})
    (root / "logs" / f"{MANAGER_LOG}.1").symlink_to("/etc/hostname")  # out of the bundle folder: refused
    doc = doc_of(read_bundle(root), validate)
    assert doc["summary"]["incomplete"] == 1
    assert "NOT FULLY READ (1)" in rendered(doc, "table")
    assert "## Not fully read" in rendered(doc, "markdown")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown logs format"):
        document.render({}, "junit", io.StringIO())


def test_a_signature_is_its_own_finding_spec() -> None:
    signature = SIGNATURES["backing-image-unrecoverable"]
    spec = spec_for(signature)
    assert (spec.id, spec.severity, spec.title) == ("log/backing-image-unrecoverable", Severity.BLOCK, signature.title)
    assert (spec.why, spec.remediation, spec.references) == (signature.meaning, signature.action, signature.urls)


def test_findings_point_at_the_images_and_place_the_disks_of_a_full_state(tmp_path: Path) -> None:
    """With the cluster state preflight reads, the disks a line names come with their node and path."""
    cluster = demo_cluster()
    write_bundle(cluster, tmp_path / "demo.zip")
    state = load_bundle(tmp_path / "demo.zip")
    line = example("invalid-backing-image-file-deleting").replace(
        "a56f9654-d046-56fc-8236-2535b5388d3e", "c4e6d98a-4921-550a-8428-c014157e8eb9")
    scan = read_bundle(dir_bundle(tmp_path / "logs", {MANAGER_LOG: stamped([line, line], BUNDLE_AT)}),
                       timedelta(days=1))
    [finding] = log_findings(CheckContext(state, graph.build(state), check="preflight"), scan.groups)
    assert finding.resource is not None and finding.resource.name == "vmi-0974c797-79b1-533a-b16b-16712aea8df9"
    assert {(ref.kind, ref.name) for ref in finding.related} == {
        ("BackingImage", "vmi-0974c797-79b1-533a-b16b-16712aea8df9"),
        ("BackingImageManager", "backing-image-manager-7f21-a56f")}
    assert finding.evidence["disks"] == [{"uuid": "c4e6d98a-4921-550a-8428-c014157e8eb9", "node": "harvester-node-2",
                                          "path": "/var/lib/harvester/extra-disks/b72506f08c023440059a3e625f9862a6"}]
    assert finding.evidence["count"] == 2 and finding.check == "preflight"
    assert finding.message.startswith("Seen 2 time(s) from 2026-11-01T10:00:00.000000Z to 2026-11-01T10:00:01")
