"""``hvguard verify`` end to end, as a subprocess: exit codes, formats, the report schema, a refused
baseline, and a live cluster (the API emulator serving the pruned upgrade) that answers like its bundle."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import jsonschema
import pytest
from live.conftest import comparable, serve

from hvguard.synth.model import SyntheticCluster

SCHEMA = json.loads((Path(__file__).parents[2] / "src/hvguard/reports/schemas/report-v1.json").read_text())


def hvguard(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hvguard", *map(str, args)], capture_output=True, text=True,
                          timeout=180)


def verify_json(snapshot: Path, *source: str | Path) -> tuple[int, dict]:
    result = hvguard("verify", "--against", snapshot, *source, "-o", "json")
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


class TestExitCodesAndFormats:
    def test_a_pruned_upgrade_exits_1_with_a_valid_report(self, snapshot: Path, bundles: dict[str, Path]) -> None:
        code, report = verify_json(snapshot, "--bundle", bundles["pruned"])
        assert code == 1
        jsonschema.Draft202012Validator(SCHEMA).validate(report)
        assert report["tool"]["command"] == "verify" and report["verdict"] == "block"
        assert report["baseline"]["location"] == str(snapshot)
        assert {f["id"] for f in report["findings"]} >= {"verify/backing-image-lost", "verify/pruned-migration",
                                                         "verify/vm-not-running", "backing-image/no-ready-copy"}

    def test_a_clean_upgrade_passes_the_default_gate_but_not_fail_on_warn(self, snapshot: Path,
                                                                         bundles: dict[str, Path]) -> None:
        code, report = verify_json(snapshot, "--bundle", bundles["clean"])
        assert code == 0 and report["verdict"] == "warn"
        jsonschema.Draft202012Validator(SCHEMA).validate(report)
        against = ("verify", "--against", snapshot)
        assert hvguard(*against, "--bundle", bundles["clean"], "--fail-on", "warn").returncode == 1
        assert hvguard(*against, "--bundle", bundles["partial"], "--fail-on", "never").returncode == 0

    def test_junit_lists_every_comparison_as_a_testcase(self, snapshot: Path, bundles: dict[str, Path],
                                                         tmp_path: Path) -> None:
        out = tmp_path / "verify.xml"
        result = hvguard("verify", "--against", snapshot, "--bundle", bundles["partial"], "-o", "junit",
                         "--output", out)
        assert result.returncode == 1, result.stderr
        suite = ET.parse(out).getroot().find("testsuite")
        assert suite is not None and suite.get("name") == "hvguard.verify"
        cases = {case.get("name"): case for case in suite.iter("testcase")}
        assert {"verify-backing-images", "verify-migration", "verify-vms", "verify-versions",
                "backing-image-ready-copies"} <= set(cases)
        failure = cases["verify-backing-images"].find("failure")
        assert failure is not None and "verify/backing-image-lost" in (failure.text or "")
        assert cases["verify-upgrade-cleanup"].find("failure") is None

    @pytest.mark.parametrize("fmt", ["table", "markdown"])
    def test_human_formats_show_the_lost_image(self, snapshot: Path, bundles: dict[str, Path], fmt: str) -> None:
        result = hvguard("verify", "--against", snapshot, "--bundle", bundles["partial"], "-o", fmt)
        assert result.returncode == 1, result.stderr
        assert "verify/backing-image-lost" in result.stdout and "default/win-ad-01" in result.stdout


class TestRefusedInput:
    def test_a_tampered_snapshot_is_refused_with_exit_2(self, snapshot: Path, bundles: dict[str, Path],
                                                        tmp_path: Path) -> None:
        tampered = tmp_path / "tampered.zip"
        with zipfile.ZipFile(snapshot) as source, zipfile.ZipFile(tampered, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename.endswith("backingimages.json"):
                    data = data.replace(b'"ready"', b'"failed"', 1)  # one copy state, manifest untouched
                target.writestr(item, data)
        result = hvguard("verify", "--against", tampered, "--bundle", bundles["clean"])
        assert result.returncode == 2
        assert result.stderr.startswith("hvguard: error:") and "refusing a tampered" in result.stderr
        assert result.stdout == ""

    def test_a_missing_baseline_is_an_input_error(self, bundles: dict[str, Path], tmp_path: Path) -> None:
        result = hvguard("verify", "--against", tmp_path / "nope.zip", "--bundle", bundles["clean"])
        assert result.returncode == 2 and "snapshot not found" in result.stderr

    def test_against_is_required(self, bundles: dict[str, Path]) -> None:
        result = hvguard("verify", "--bundle", bundles["clean"])
        assert result.returncode == 2 and "--against" in result.stderr


def test_a_live_cluster_answers_like_its_bundle(snapshot: Path, bundles: dict[str, Path],
                                                clusters: dict[str, SyntheticCluster], tmp_path: Path) -> None:
    api = serve(clusters["pruned"])
    try:
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")
        code, live = verify_json(snapshot, "--kubeconfig", kubeconfig)
    finally:
        api.stop()
    assert code == 1
    jsonschema.Draft202012Validator(SCHEMA).validate(live)
    assert live["source"]["type"] == "live"
    _, bundle = verify_json(snapshot, "--bundle", bundles["pruned"])
    for report in (live, bundle):  # the emulator reports its own Kubernetes version
        next(f for f in report["findings"] if f["id"] == "verify/versions")["evidence"].pop("kubernetes")
    assert comparable(live["findings"]) == comparable(bundle["findings"])
    assert {f["id"] for f in live["findings"]} >= {"verify/backing-image-lost", "verify/backing-image-recovering",
                                                   "verify/unexpected-change", "verify/pruned-migration"}
