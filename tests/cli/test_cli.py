"""The CLI end to end, as a subprocess: exit codes, one-line errors, output files, formats."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from support import V10_SAMPLE

SCHEMA = json.loads((Path(__file__).parents[2] / "src/hvguard/reports/schemas/report-v1.json").read_text())


def hvguard(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hvguard", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=env)


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, fragment: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert result.stderr.startswith(("hvguard: error:", "Usage:"))


def test_start_up_imports_nothing_heavy() -> None:
    """``hvguard --version`` / ``--help`` import every command module: none may pull in the Kubernetes
    client, rich, YAML, the knowledge catalog or the analysis at import time."""
    probe = ("import sys, hvguard.cli.app; print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('kubernetes', 'rich', 'yaml', 'prometheus_client') or m.startswith(('hvguard.knowledge', "
             "'hvguard.analysis', 'hvguard.sources', 'hvguard.kube'))))")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_version() -> None:
    result = hvguard("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("hvguard, version ")


class TestExitCodes:
    def test_incomplete_sample_fails_by_default_and_passes_with_never(self) -> None:
        assert hvguard("preflight", "--bundle", V10_SAMPLE).returncode == 1
        assert hvguard("preflight", "--bundle", V10_SAMPLE, "--fail-on", "never").returncode == 0

    def test_inventory_never_gates(self) -> None:
        result = hvguard("inventory", "--bundle", V10_SAMPLE)
        assert result.returncode == 0
        assert "default-image-kzndn" in result.stdout

    def test_no_source_is_a_usage_error(self, tmp_path: Path) -> None:
        result = hvguard("preflight", env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KUBECONFIG": ""})
        assert_one_line_error(result, 3, "no kubeconfig found")

    def test_two_sources_is_a_usage_error(self, tmp_path: Path) -> None:
        result = hvguard("preflight", "--bundle", V10_SAMPLE, "--snapshot", tmp_path / "s.zip")
        assert result.returncode == 2
        assert "only one source" in result.stderr

    def test_unknown_format_is_a_usage_error(self) -> None:
        assert hvguard("preflight", "--bundle", V10_SAMPLE, "-o", "yaml").returncode == 2


class TestBadInput:
    def test_missing_bundle(self, tmp_path: Path) -> None:
        assert_one_line_error(hvguard("preflight", "--bundle", tmp_path / "none.zip"), 2, "bundle not found")

    def test_not_a_zip(self, tmp_path: Path) -> None:
        (tmp_path / "x.zip").write_text("garbage")
        assert_one_line_error(hvguard("preflight", "--bundle", tmp_path / "x.zip"), 2, "not a zip file")

    def test_truncated_zip_writes_no_output(self, tmp_path: Path) -> None:
        import shutil
        archive = Path(shutil.make_archive(str(tmp_path / "b"), "zip", root_dir=V10_SAMPLE))
        cut = tmp_path / "cut.zip"
        cut.write_bytes(archive.read_bytes()[:30000])
        out = tmp_path / "report.json"
        result = hvguard("preflight", "--bundle", cut, "--output", out)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert {p.name for p in tmp_path.iterdir()} == {archive.name, cut.name}  # no report, no temp file

    def test_unreachable_cluster_exits_3(self, tmp_path: Path) -> None:
        kubeconfig = tmp_path / "kc.yaml"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
            "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
            "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n")
        assert_one_line_error(hvguard("preflight", "--kubeconfig", kubeconfig), 3, "cannot reach the API server")

    def test_snapshot_with_bad_checksum_is_refused(self, tmp_path: Path) -> None:
        import zipfile
        snap = tmp_path / "s.zip"
        assert hvguard("snapshot", "--bundle", V10_SAMPLE, "--output", snap).returncode == 0
        tampered = tmp_path / "t.zip"
        with zipfile.ZipFile(snap) as src, zipfile.ZipFile(tampered, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                if item.filename.endswith("longhorn.io_backingimages.json"):
                    data = data.replace(b"ready", b"faile")
                dst.writestr(item, data)
        assert_one_line_error(hvguard("preflight", "--snapshot", tampered), 2, "failed its checksum")


class TestFormats:
    def test_json_validates_against_schema(self) -> None:
        result = hvguard("preflight", "--bundle", V10_SAMPLE, "-o", "json")
        report = json.loads(result.stdout)
        jsonschema.validate(report, SCHEMA)
        assert report["verdict"] == "incomplete"

    def test_output_file_and_junit(self, tmp_path: Path) -> None:
        out = tmp_path / "junit.xml"
        result = hvguard("preflight", "--bundle", V10_SAMPLE, "-o", "junit", "--output", out)
        assert result.stdout == ""
        suite = ET.parse(out).getroot()
        names = {case.get("name") for case in suite.iter("testcase")}
        assert {"backing-image-ready-copies", "managed-charts-ready"} <= names
        assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]  # no temp file left behind

    @pytest.mark.parametrize("fmt", ["table", "markdown"])
    def test_text_formats_name_every_finding(self, fmt: str) -> None:
        result = hvguard("preflight", "--bundle", V10_SAMPLE, "-o", fmt)
        for finding_id in ("backing-image/failed-copy", "backing-image/single-ready-copy", "source/incomplete"):
            assert finding_id in result.stdout


def test_snapshot_round_trip_gives_identical_findings(tmp_path: Path) -> None:
    snap = tmp_path / "pre.zip"
    assert hvguard("snapshot", "--bundle", V10_SAMPLE, "--output", snap).returncode == 0
    from_bundle = json.loads(hvguard("preflight", "--bundle", V10_SAMPLE, "-o", "json").stdout)
    from_snapshot = json.loads(hvguard("preflight", "--snapshot", snap, "-o", "json").stdout)
    assert from_snapshot["source"]["type"] == "snapshot"
    assert from_snapshot["findings"] == from_bundle["findings"]
    assert from_snapshot["inventory"] == from_bundle["inventory"]


def test_commands_hold_their_state_only_when_the_process_ends_with_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` ends the process without freeing the state; commands run in process must not pile states up."""
    from hvguard.cli import boundary

    monkeypatch.setattr(boundary, "_held", None)
    state = object()
    boundary.hold_until_exit(state)
    assert boundary._held is None
    boundary.hold_from_now()
    boundary.hold_until_exit(state)
    assert boundary._held == [state]
