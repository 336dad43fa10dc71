"""The terminal table: verdict first, findings worst first, no escape codes in pipes."""

from __future__ import annotations

import io
import re

import pytest

SGR = re.compile(r"\x1b\[([0-9;]*)m")
# Terminal-affecting variables that would override what the tests set up.
_TERMINAL_ENV = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "TERM")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _TERMINAL_ENV:
        monkeypatch.delenv(name, raising=False)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("verdict", ["pass", "warn", "block", "incomplete"])
def test_verdict_is_the_first_thing_printed(handmade_report, rendered, verdict: str) -> None:
    handmade_report["verdict"] = verdict
    first = _lines(rendered(handmade_report, "table"))[0]
    assert f" {verdict.upper()} " in first
    assert "hvguard preflight" in first


def test_banner_says_what_to_do_and_about_which_cluster(handmade_report, rendered) -> None:
    banner = "\n".join(_lines(rendered(handmade_report, "table"))[:7])
    assert "Do not upgrade" in banner
    assert "exit      1 unless --fail-on never" in banner
    assert "2 block · 1 warn · 1 info" in banner
    assert "bundle /tmp/bundle.zip" in banner
    assert "Harvester v1.3.2 · Longhorn v1.6.2 · 3 node(s) · target v1.4.0" in banner


def test_every_finding_of_a_real_bundle_is_shown(pipeline_report, rendered) -> None:
    out = rendered(pipeline_report, "table")
    for finding in pipeline_report["findings"]:
        assert finding["id"] in out


def test_sections_run_worst_first_then_gaps_then_inventory(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "table")
    order = ["BLOCK (2)", "backing-image/no-ready-copy", "source/incomplete", "WARN (1)",
             "backing-image/single-ready-copy", "INFO (1)", "backing-image/unreferenced",
             "NOT CHECKED", "BACKING IMAGES (3)"]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions)
    inventory = out[positions[-1]:]
    assert inventory.index("img-lost") < inventory.index("img-spare") < inventory.index("img-thin")


def test_finding_shows_resource_message_fix_and_first_reference_only(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "table")
    assert "backing-image/no-ready-copy  BackingImage longhorn-system/img-lost" in out
    assert "img-lost: no ready copy; 2 VM(s) cannot boot" in out
    assert "Fix backing-image/no-ready-copy (see <diskPath>/backing-images/)." in out
    assert "troubleshooting-resolving-backing-image-unavailability-issue" in out
    assert "harvester/issues/7958" not in out


def test_evidence_is_compact(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "table")
    assert "copies: {1 entries}" in out
    assert "note: " + "x" * 69 + "…" in out
    assert "x" * 71 not in out
    assert "checks: replica-check" in out


def test_evidence_beyond_the_first_few_points_to_json(handmade_report, rendered) -> None:
    handmade_report["findings"][0]["evidence"] = {f"k{i}": i for i in range(6)}
    out = rendered(handmade_report, "table")
    assert "k3: 3" in out
    assert "k4: 4" not in out
    assert "(+2 more in -o json)" in out


def test_cluster_text_is_not_read_as_rich_markup(handmade_report, rendered) -> None:
    assert "in use by [bold]web[/bold]" in rendered(handmade_report, "table")


def test_gaps_list_unread_resources_failed_checks_and_namespaces(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "table")
    gaps = out[out.index("NOT CHECKED"):out.index("BACKING IMAGES")]
    assert "longhorn.io/replicas" in gaps and "403 forbidden | rbac" in gaps
    assert "check crashy-check" in gaps and "KeyError: 'spec'" in gaps
    assert "check replica-check" in gaps and "check upgrade-path" in gaps
    assert "tenant-a" in gaps
    assert "backupbackingimages" not in gaps  # absent = known to be empty, not a gap


def test_inventory_row_of_the_real_sample(sample_report, rendered) -> None:
    row = next(line for line in rendered(sample_report, "table").splitlines() if "default-image-kzndn  " in line)
    for cell in ("default/image-kzndn", "download", "220 MiB", "1/2 on node1", "unused", "yes: re-downloadable"):
        assert cell in row


def test_inventory_shortens_vm_lists(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "table")
    assert "5 VM(s): ns/vm0," in out
    assert "ns/vm2, +2" in out
    assert "ns/vm3" not in out


def test_empty_report(empty_report, rendered) -> None:
    out = rendered(empty_report, "table")
    assert _lines(out)[0].startswith("╭─  PASS  hvguard preflight")
    assert "No findings." in out
    assert "No backing images." in out
    assert "NOT CHECKED" not in out


def test_no_escape_codes_and_fixed_width_when_not_a_terminal(handmade_report, rendered) -> None:
    out = rendered(handmade_report, "table")
    assert "\x1b" not in out
    assert max(len(line) for line in out.splitlines()) == 120


def _colours(text: str) -> set[int]:
    """SGR colour parameters (foreground/background, normal and bright) in ``text``."""
    params = {int(p) for match in SGR.finditer(text) for p in match.group(1).split(";") if p}
    return {p for p in params if 30 <= p <= 49 or 90 <= p <= 107}


def test_colours_on_a_terminal(handmade_report, rendered) -> None:
    assert 31 in _colours(rendered(handmade_report, "table", FakeTerminal()))  # red: BLOCK


def test_no_colour_on_a_terminal_with_no_color(handmade_report, rendered, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = rendered(handmade_report, "table", FakeTerminal())
    assert _colours(out) == set()
    assert " BLOCK " in out


def test_inventory_command_shows_only_the_inventory(handmade_report, rendered) -> None:
    handmade_report["tool"]["command"] = "inventory"
    out = rendered(handmade_report, "table")
    lines = _lines(out)
    assert lines[0].startswith("3 backing image(s), 2 in use, 2 not rebuildable — Harvester v1.3.2")
    assert all(name in out for name in ("img-lost", "img-spare", "img-thin"))
    assert "backing-image/no-ready-copy" not in out
    assert "NOT CHECKED" not in out


def test_inventory_command_with_no_images(empty_report, rendered) -> None:
    empty_report["tool"]["command"] = "inventory"
    out = rendered(empty_report, "table")
    assert out.startswith("0 backing image(s), 0 in use, 0 not rebuildable")
    assert "No backing images." in _lines(out)
