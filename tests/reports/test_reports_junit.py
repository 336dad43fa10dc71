"""``-o junit``: one testcase per check, failures vs errors vs skips counted as CI expects."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest


def _suite(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    suites = root.findall("testsuite")
    assert root.tag == "testsuites" and len(suites) == 1
    return suites[0]


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in suite.findall("testcase")}


def _outcome(case: ET.Element) -> str:
    children = [child.tag for child in case]
    assert len(children) <= 1
    return children[0] if children else "pass"


def test_real_report_has_one_testcase_per_check(pipeline_report, rendered) -> None:
    suite = _suite(rendered(pipeline_report, "junit"))
    names = [case.get("name") for case in suite.findall("testcase")]
    checks = [check["name"] for check in pipeline_report["checks"]]
    assert names[: len(checks)] == checks
    orphans = [f for f in pipeline_report["findings"] if f.get("check") not in checks]
    assert names[len(checks):] == (["coverage"] if orphans else [])
    assert {case.get("classname") for case in suite.findall("testcase")} == {"hvguard.preflight"}


def test_sample_failures_carry_their_findings(sample_report, rendered) -> None:
    suite = _suite(rendered(sample_report, "junit"))
    assert suite.get("name") == "hvguard.preflight"
    failure = _cases(suite)["backing-image-failed-copies"].find("failure")
    assert failure is not None
    assert failure.get("type") == "warn"
    assert failure.get("message") == "1 finding(s): backing-image/failed-copy"
    assert failure.text.startswith("[warn] backing-image/failed-copy BackingImage longhorn-system/default-image-kzndn:")


def test_status_maps_to_junit_outcomes(handmade_report, rendered) -> None:
    cases = _cases(_suite(rendered(handmade_report, "junit")))
    assert {name: _outcome(case) for name, case in cases.items()} == {
        "backing-image-ready-copies": "failure",
        "backing-image-references": "pass",  # an info finding does not fail a check
        "replica-check": "error",
        "crashy-check": "error",
        "upgrade-path": "skipped",
        "coverage": "failure",
    }
    assert cases["crashy-check"].find("error").attrib == {"message": "KeyError: 'spec'", "type": "error"}
    assert cases["replica-check"].find("error").get("type") == "unknown"
    assert cases["upgrade-path"].find("skipped").get("message") == "no --to target given"


def test_failure_type_is_the_worst_severity_and_lists_every_finding(handmade_report, rendered) -> None:
    failure = _cases(_suite(rendered(handmade_report, "junit")))["backing-image-ready-copies"].find("failure")
    assert failure.get("type") == "block"
    assert failure.get("message") == "2 finding(s): backing-image/no-ready-copy, backing-image/single-ready-copy"
    assert failure.text.splitlines() == [
        "[block] backing-image/no-ready-copy BackingImage longhorn-system/img-lost: "
        "img-lost: no ready copy; 2 VM(s) cannot boot",
        "[warn] backing-image/single-ready-copy BackingImage longhorn-system/img-thin: "
        "img-thin: only one ready copy (node n2) | in use by [bold]web[/bold]",
    ]


def test_coverage_findings_get_their_own_testcase(handmade_report, rendered) -> None:
    failure = _cases(_suite(rendered(handmade_report, "junit")))["coverage"].find("failure")
    assert failure.get("type") == "block"
    assert failure.text.startswith("[block] source/incomplete: longhorn.io/replicas is unreadable")


def test_info_only_coverage_testcase_passes(handmade_report, rendered) -> None:
    handmade_report["findings"][1]["severity"] = "info"
    assert _outcome(_cases(_suite(rendered(handmade_report, "junit")))["coverage"]) == "pass"


@pytest.mark.parametrize("fixture", ["sample_report", "handmade_report", "empty_report"])
def test_counts_match_the_testcases(request, rendered, fixture: str) -> None:
    suite = _suite(rendered(request.getfixturevalue(fixture), "junit"))
    outcomes = [_outcome(case) for case in suite.findall("testcase")]
    expected = {"tests": len(outcomes), "failures": outcomes.count("failure"), "errors": outcomes.count("error"),
                "skipped": outcomes.count("skipped")}
    assert {key: int(suite.get(key)) for key in expected} == expected


def test_handmade_counts(handmade_report, rendered) -> None:
    suite = _suite(rendered(handmade_report, "junit"))
    assert [suite.get(key) for key in ("tests", "failures", "errors", "skipped")] == ["6", "2", "2", "1"]


def test_empty_report_has_only_passing_checks(empty_report, rendered) -> None:
    cases = _cases(_suite(rendered(empty_report, "junit")))
    assert "coverage" not in cases
    assert {_outcome(case) for case in cases.values()} == {"pass"}


def test_properties_describe_the_run(handmade_report, rendered) -> None:
    suite = _suite(rendered(handmade_report, "junit"))
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"verdict": "block", "source": "bundle /tmp/bundle.zip (collected 2025-01-02T03:04:05Z)",
                     "harvesterVersion": "v1.3.2", "longhornVersion": "v1.6.2", "target": "v1.4.0",
                     "hvguardVersion": "0.1.0"}


def test_text_xml_cannot_carry_is_replaced_and_the_rest_survives(handmade_report, rendered) -> None:
    handmade_report["findings"][0]["message"] = "bad \x1b[31m byte → kept"
    xml = rendered(handmade_report, "junit")
    assert xml.isascii()
    failure = _cases(_suite(xml))["backing-image-ready-copies"].find("failure")
    assert "bad \ufffd[31m byte → kept" in failure.text
