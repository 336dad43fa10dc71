"""The ``paths`` command: exit codes, one-line errors, formats, output files, help, start-up cost.

Most tests run the command in-process (``conftest.invoke``). The subprocess tests run
``python -m hvguard paths`` and are skipped until the command is registered on the ``hvguard`` group.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hvguard.cli import paths_cmd
from hvguard.reports import paths as document

Run = Callable[..., Any]  # conftest.invoke, returning an Outcome (code, out, err)


def hvguard(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hvguard", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def paths_registered() -> bool:
    return re.search(r"^\s+paths\s", hvguard("--help").stdout, re.MULTILINE) is not None


def assert_one_line_error(code: int, out: str, err: str, fragment: str) -> None:
    """Exit 2, nothing on stdout, one ``hvguard: error:`` line (plus the boundary's hint), no traceback."""
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0].startswith("hvguard: error: ") and fragment in lines[0]
    assert all(line.startswith("hint: ") for line in lines[1:]) and len(lines) <= 2


@pytest.mark.parametrize(("source", "target", "code", "verdict"), [
    ("v1.3.2", "v1.4.0", 0, "SUPPORTED"),
    ("v1.3.1", "v1.4.0", 1, "UNSUPPORTED"),
    ("v1.4.0", "v1.3.2", 1, "UNSUPPORTED"),
    ("v1.3.2", "v1.4.9", 0, "UNKNOWN"),
])
def test_exit_code_follows_the_verdict(run_paths: Run, source: str, target: str, code: int, verdict: str) -> None:
    outcome = run_paths("--from", source, "--to", target)
    assert outcome.code == code, outcome.err
    assert outcome.out.splitlines()[0].startswith(f"{verdict}  ")
    assert outcome.err == ""


@pytest.mark.parametrize(("args", "fragment"), [
    (("--from", "v1.x", "--to", "v1.4.0"), "--from: unknown version 'v1.x'"),
    (("--from", "v1.3.2", "--to", "latest"), "--to: unknown version 'latest'"),
    (("--from", "", "--to", "v1.4.0"), "--from: unknown version ''"),
    (("--from", "v1.3.2", "--to", "1.4"), "--to: unknown version '1.4'"),
])
def test_an_invalid_version_is_a_one_line_error(run_paths: Run, args: tuple[str, ...], fragment: str) -> None:
    outcome = run_paths(*args, "-o", "json")
    assert_one_line_error(outcome.code, outcome.out, outcome.err, fragment)
    assert outcome.err.splitlines()[1] == "hint: expected e.g. v1.4.0, 1.4.0 or v1.4.0-rc1"


@pytest.mark.parametrize("source", ["master-head", "v1.5-head", "1a861fc-dirty"])
def test_a_dev_build_without_a_release_number_cannot_be_placed_on_a_path(run_paths: Run, source: str) -> None:
    outcome = run_paths("--from", source, "--to", "v1.6.0")
    assert_one_line_error(outcome.code, outcome.out, outcome.err, "dev build with no release number")


@pytest.mark.parametrize("args", [("--from", "v1.3.2"), ("--to", "v1.4.0"), ("--from", "v1.3.2", "--to", "v1.4.0",
                                                                             "-o", "junit")])
def test_missing_options_and_unknown_formats_are_usage_errors(run_paths: Run, args: tuple[str, ...]) -> None:
    outcome = run_paths(*args)
    assert outcome.code == 2 and outcome.out == ""
    assert "Traceback" not in outcome.err and "Usage:" in outcome.err


@pytest.mark.parametrize("fmt", paths_cmd.FORMATS)
def test_output_file_is_written_and_the_exit_code_kept(run_paths: Run, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"paths.{fmt}"
    outcome = run_paths("--from", "v1.3.1", "--to", "v1.4.0", "-o", fmt, "--output", str(target))
    assert outcome.code == 1
    assert outcome.out == ""
    assert outcome.err == f"written to {target}\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left behind
    assert "v1.3.1 → v1.3.2 → v1.4.0" in target.read_text("utf-8") or fmt == "json"
    if fmt == "json":
        assert json.loads(target.read_text("utf-8"))["route"] == ["v1.3.1", "v1.3.2", "v1.4.0"]


def test_a_bad_version_writes_no_output_file(run_paths: Run, tmp_path: Path) -> None:
    outcome = run_paths("--from", "nope", "--to", "v1.4.0", "--output", str(tmp_path / "paths.json"))
    assert outcome.code == 2 and list(tmp_path.iterdir()) == []


def test_help_documents_the_exit_codes(run_paths: Run) -> None:
    outcome = run_paths("--help")
    assert outcome.code == 0
    text = " ".join(outcome.out.split())
    assert "Exit codes: 0 supported" in text and "unknown" in text
    assert "1 unsupported" in text and "2 bad input" in text
    assert "harvester#7958" in text and "--from VERSION" in text


def test_the_cli_offers_exactly_the_formats_the_document_renders() -> None:
    assert paths_cmd.FORMATS == document.FORMATS


def test_building_and_markdown_do_not_import_rich() -> None:
    probe = ("import io, sys; from hvguard.reports import paths; from hvguard.knowledge.versions import parse; "
             "paths.render(paths.build(parse('v1.3.2'), parse('v1.4.0')), 'markdown', io.StringIO()); "
             "print(any(m.split('.')[0] == 'rich' for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "False\n"


@pytest.mark.skipif(not paths_registered(), reason="`paths` is not registered on the hvguard group yet")
class TestSubprocess:
    """``python -m hvguard paths``: the real entry point, boundary and exit status."""

    def test_json_and_exit_1_for_an_unsupported_jump(self) -> None:
        result = hvguard("paths", "--from", "v1.3.1", "--to", "v1.4.0", "-o", "json")
        assert result.returncode == 1, result.stderr
        assert json.loads(result.stdout)["route"] == ["v1.3.1", "v1.3.2", "v1.4.0"]

    def test_table_and_exit_0_for_a_supported_hop(self) -> None:
        result = hvguard("paths", "--from", "1.3.2", "--to", "1.4.0")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("SUPPORTED  v1.3.2 → v1.4.0")
        assert "known-issue/harvester-7958" in result.stdout

    def test_an_invalid_version_is_one_line_and_exit_2(self) -> None:
        result = hvguard("paths", "--from", "v1.3.x", "--to", "v1.4.0")
        assert_one_line_error(result.returncode, result.stdout, result.stderr, "--from: unknown version 'v1.3.x'")
