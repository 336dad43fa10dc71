"""The dispatcher and the wording shared by the human formats."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from hvguard.reports import render

SRC = Path(__file__).resolve().parents[2] / "src"


def test_formats_are_the_documented_four() -> None:
    assert render.FORMATS == ("table", "json", "markdown", "junit")


@pytest.mark.parametrize("fmt", render.FORMATS)
def test_every_format_renders_real_reports_without_touching_them(pipeline_report, rendered, fmt: str) -> None:
    out = rendered(pipeline_report, fmt)
    assert out.endswith("\n")
    assert out.strip()


@pytest.mark.parametrize("fmt", render.FORMATS)
def test_every_format_renders_the_handmade_and_the_empty_report(handmade_report, empty_report, rendered,
                                                                fmt: str) -> None:
    assert rendered(handmade_report, fmt).strip()
    assert rendered(empty_report, fmt).strip()


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report format 'html'"):
        render.render({}, "html", io.StringIO())


def test_importing_the_renderers_does_not_load_rich() -> None:
    """CLI start-up must not pay for rich unless a table is printed."""
    code = ("import sys, hvguard.reports.render, hvguard.reports.table, hvguard.reports.markdown, "
            "hvguard.reports.junit, hvguard.reports.json_out; print('rich' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC)})
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("size", "text"), [
    (None, "?"), (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (231131136, "220 MiB"),
    (10 * 1024**3, "10 GiB"), (3 * 1024**5, "3072 TiB"),
])
def test_human_size(size: int | None, text: str) -> None:
    assert render.human_size(size) == text


def test_by_severity_groups_worst_first_and_keeps_order(handmade_report) -> None:
    groups = render.by_severity(handmade_report["findings"])
    assert [sev for sev, _ in groups] == ["block", "warn", "info"]
    assert [f["id"] for f in groups[0][1]] == ["backing-image/no-ready-copy", "source/incomplete"]


def test_by_severity_omits_empty_groups(handmade_report) -> None:
    warn_only = [f for f in handmade_report["findings"] if f["severity"] == "warn"]
    assert [sev for sev, _ in render.by_severity(warn_only)] == ["warn"]


def test_gaps_skip_read_and_absent_coverage(handmade_report) -> None:
    assert [c["resource"] for c in render.coverage_problems(handmade_report)] == ["longhorn.io/replicas"]
    assert [c["name"] for c in render.checks_not_run(handmade_report)] == ["replica-check", "crashy-check",
                                                                         "upgrade-path"]


def test_inventory_cells(handmade_report) -> None:
    lost, spare, thin = handmade_report["inventory"]["backingImages"]
    assert render.copies_cell(lost) == "0/1"
    assert render.copies_cell(spare) == "2/2 on n1, n3"
    assert render.used_by_cell(spare) == "unused"
    assert render.used_by_cell(thin, limit=2) == "5 VM(s): ns/vm0, ns/vm1, +3 more"
    assert render.used_by_cell(thin) == "5 VM(s): ns/vm0, ns/vm1, ns/vm2, ns/vm3, ns/vm4"
    assert render.rebuildable_cell(lost) == "no: sourceType upload cannot be fetched again"
    assert render.rebuildable_cell(lost, width=12) == "no: sourceT…"


def test_used_by_without_vms_counts_volumes() -> None:
    image = {"usedBy": {"vms": [], "volumes": ["pvc-1"], "pvcs": []}}
    assert render.used_by_cell(image) == "no VM; 1 volume(s), 0 PVC(s)"


def test_summary_lines(handmade_report, empty_report) -> None:
    assert render.counts_line(handmade_report) == "2 block · 1 warn · 1 info"
    assert render.cluster_line(handmade_report) == "Harvester v1.3.2 · Longhorn v1.6.2 · 3 node(s) · target v1.4.0"
    assert render.source_line(handmade_report) == "bundle /tmp/bundle.zip (collected 2025-01-02T03:04:05Z)"
    assert "target" not in render.cluster_line(empty_report)
