"""``-o markdown``: a ticket-ready report that survives whatever text the cluster holds.

The golden file pins the whole layout. After an intended change, regenerate it with
``HVGUARD_UPDATE_GOLDEN=1 pytest tests/reports`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _table_rows(out: str, heading: str) -> list[str]:
    section = out[out.index(heading):].split("\n\n")[1]
    return section.splitlines()


def test_matches_golden_file(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "markdown")
    golden = GOLDEN / "handmade.md"
    if os.environ.get("HVGUARD_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8"), "run with HVGUARD_UPDATE_GOLDEN=1 to regenerate"


def test_heading_names_command_and_verdict(pipeline_report, rendered) -> None:
    first = rendered(pipeline_report, "markdown").splitlines()[0]
    assert first == f"# hvguard preflight: {pipeline_report['verdict'].upper()}"


def test_summary_table(handmade_report, rendered) -> None:
    rows = _table_rows(rendered(handmade_report, "markdown"), "> **BLOCK**")
    assert rows[:3] == ["| Verdict | **BLOCK** |", "|---|---|", "| Findings | 2 block · 1 warn · 1 info |"]
    assert "| Cluster | Harvester v1.3.2 · Longhorn v1.6.2 · 3 node(s) · target v1.4.0 |" in rows


def test_every_finding_with_remediation_and_links(pipeline_report, rendered) -> None:
    out = rendered(pipeline_report, "markdown")
    for finding in pipeline_report["findings"]:
        assert f"#### `{finding['id']}`" in out
        for url in finding["references"]:
            assert f"<{url}>" in out


def test_findings_grouped_worst_first(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "markdown")
    headings = re.findall(r"^### (\w+) \((\d+)\)$", out, re.MULTILINE)
    assert headings == [("BLOCK", "2"), ("WARN", "1"), ("INFO", "1")]


def test_evidence_is_a_json_block_that_parses_back(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "markdown")
    blocks = re.findall(r"^```json\n(.*?)\n```$", out, re.MULTILINE | re.DOTALL)
    with_evidence = [f["evidence"] for f in handmade_report["findings"] if f["evidence"]]
    assert [json.loads(block) for block in blocks] == with_evidence


def test_pipes_in_cells_are_escaped_so_rows_keep_their_columns(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "markdown")
    for heading, columns in (("## Not checked", 3), ("## Checks", 3), ("## Backing images", 7)):
        rows = _table_rows(out, heading)
        assert {len(UNESCAPED_PIPE.findall(row)) for row in rows} == {columns + 1}, heading
    assert "403 forbidden \\| rbac" in out
    assert "`default/win\\|11`" in out


def test_prose_is_escaped_so_cluster_text_is_not_markup(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "markdown")
    assert "(see \\<diskPath\\>/backing-images/)" in out
    assert "in use by \\[bold\\]web\\[/bold\\]" in out
    assert "https://example.org/x_y.qcow2" in out  # intraword "_" left alone, so the URL stays whole


def test_inventory_table_of_the_real_sample(sample_report, rendered) -> None:
    rows = _table_rows(rendered(sample_report, "markdown"), "## Backing images (1)")
    assert rows[0] == "| Backing image | VM image | Source | Size | Ready copies | Used by | Rebuildable |"
    assert rows[2].startswith("| `default-image-kzndn` | `default/image-kzndn` | download | 220 MiB | 1/2 on node1 |")


def test_inventory_keeps_every_vm_name(handmade_report, rendered) -> None:
    assert "5 VM(s): ns/vm0, ns/vm1, ns/vm2, ns/vm3, ns/vm4" in rendered(handmade_report, "markdown")


def test_empty_report(empty_report, rendered) -> None:
    out = rendered(empty_report, "markdown")
    assert out.startswith("# hvguard preflight: PASS\n")
    assert "No findings." in out
    assert "## Backing images (0)\n\nNo backing images.\n" in out
    assert "## Not checked" not in out


@pytest.mark.parametrize(("text", "code"), [("plain", "`plain`"), ("a`b", "`` a`b ``"), ("a``b`", "``` a``b` ```")])
def test_code_spans_outlast_backticks_inside(handmade_report, rendered, text: str, code: str) -> None:
    handmade_report["inventory"]["backingImages"][0]["name"] = text
    assert f"| {code} |" in rendered(handmade_report, "markdown")
