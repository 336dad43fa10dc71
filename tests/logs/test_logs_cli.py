"""``hvguard logs`` end to end, as a subprocess: formats, output files, live clusters, exit codes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubeapi import KubeAPIServer
from logkit import NS, example, hvguard, lh_pod

from hvguard.cli import logs_cmd
from hvguard.cli.logs_cmd import parse_duration
from hvguard.reports import logs as document

LogsDoc = dict[str, Any]


def assert_usage_error(result: Any, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert fragment in result.stderr


def test_json_is_the_document_and_valid(trail_bundle: Path, validate: Callable[[LogsDoc], LogsDoc]) -> None:
    result = hvguard("logs", "--bundle", trail_bundle, "-o", "json")
    assert result.returncode == 0, result.stderr
    doc = validate(json.loads(result.stdout))
    assert doc["source"]["type"] == "bundle" and doc["summary"]["block"] >= 2


def test_the_table_tells_the_story_in_order(trail_bundle: Path) -> None:
    result = hvguard("logs", "--bundle", trail_bundle)
    assert result.returncode == 0, result.stderr
    story = " ".join(result.stdout.split("TIMELINE")[0].split())
    assert re.search(r"migration ran .* fields pruned ×36 .* files deleted .* recovery .* replicas waiting", story)
    timeline = result.stdout.split("TIMELINE")[1]
    positions = [timeline.index(sig) for sig in ("upgrade-path-v16x-to-v170", "pruned-disk-file-spec-map",
                                                 "invalid-backing-image-file-deleting", "backing-image-unrecoverable",
                                                 "replica-waiting-for-backing-image")]
    assert positions == sorted(positions)
    assert "BLOCK (2)" in result.stdout and "log/pruned-disk-file-spec-map" in result.stdout


def test_markdown_goes_to_the_output_file(trail_bundle: Path, tmp_path: Path) -> None:
    target = tmp_path / "logs.md"
    result = hvguard("logs", "--bundle", trail_bundle, "-o", "markdown", "--output", target, "--since", "25m")
    assert result.returncode == 0 and result.stdout == ""
    assert f"written to {target}" in result.stderr
    text = target.read_text()
    assert text.startswith("# hvguard logs\n") and "## Timeline" in text and "since 25m" in text
    assert "`log/backing-image-unrecoverable`" in text
    # the bundle is from 14:20: the migration and the deletions (13:47-13:52) are older than 25 minutes
    assert "fields pruned" not in text and "files deleted" not in text and "recovery" in text


def test_a_live_cluster_is_read_through_the_kubeconfig(tmp_path: Path, validate: Callable[[LogsDoc], LogsDoc]) -> None:
    with KubeAPIServer() as api:
        api.load_objects([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
                          lh_pod("longhorn-manager-x7k2p", "longhorn-manager", "longhornio/longhorn-manager:v1.7.2",
                                 "harvester-node-0")])
        api.add_pod_log(NS, "longhorn-manager-x7k2p", [example("pruned-disk-file-spec-map")],
                        container="longhorn-manager")
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")
        result = hvguard("logs", "--kubeconfig", kubeconfig, "--tail", "100", "--since", "1h", "-o", "json")
    assert result.returncode == 0, result.stderr
    doc = validate(json.loads(result.stdout))
    assert (doc["source"]["type"], doc["source"]["tail"], doc["source"]["since"]) == ("live", 100, "1h")
    assert [f["id"] for f in doc["findings"]] == ["log/pruned-disk-file-spec-map"]


def test_an_unreachable_cluster_exits_3(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncurrent-context: x\n"
                          "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n"
                          "users: [{name: u, user: {token: t}}]\n"
                          "contexts: [{name: x, context: {cluster: c, user: u}}]\n")
    result = hvguard("logs", "--kubeconfig", kubeconfig)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("hvguard: error: cannot reach the API server")


@pytest.mark.parametrize(("args", "fragment"), [
    (("--since", "yesterday"), "'yesterday' is not a duration"),
    (("--since", "0s"), "at least one second"),
    (("--tail", "50"), "--tail applies to a live cluster only"),
    (("--kubeconfig", "k"), "give only one source"),
    (("-o", "junit"), "'junit' is not one of"),
])
def test_bad_options_are_usage_errors(trail_bundle: Path, args: tuple[str, ...], fragment: str) -> None:
    assert_usage_error(hvguard("logs", "--bundle", trail_bundle, *args), fragment)


def test_a_missing_bundle_is_a_one_line_input_error(tmp_path: Path) -> None:
    result = hvguard("logs", "--bundle", tmp_path / "nope.zip")
    assert_usage_error(result, "bundle not found")
    assert result.stderr.startswith("hvguard: error:") and len(result.stderr.splitlines()) == 1


def test_logs_is_a_command_with_the_document_s_formats() -> None:
    assert re.search(r"^\s+logs\s", hvguard("--help").stdout, re.MULTILINE)
    assert logs_cmd.FORMATS == document.FORMATS


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("2h", 7200), ("7d", 604800), ("1h30m", 5400),
                                               ("90s", 90), (" 1d2h3m4s ", 93784)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "h", "30", "1.5h", "30m1h", "-1h", "0m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
