"""``-o junit``: JUnit XML so CI systems show each check as a test and gate on failures.

One testcase per check in the report, named after the check, so a CI history tracks the same
test across runs. A check that failed carries its findings; a check that could not run is an
error (not a failure), so "broken data" and "unsafe cluster" stay apart. Findings that no check
produced (the runner's coverage findings) get a testcase of their own, named ``coverage``, so
nothing in the report is dropped. Written as ASCII with character references: any stream takes it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any, TextIO

from hvguard.reports.render import SEVERITIES, Report, resource_label, source_line

COVERAGE_CASE = "coverage"
# Characters XML 1.0 cannot carry at all, not even as references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report, stream: TextIO) -> None:
    suite_name = f"hvguard.{report['tool']['command']}"
    names = {check["name"] for check in report["checks"]}
    cases = [
        _case(suite_name, check["name"], check["status"], check.get("detail", ""),
              [f for f in report["findings"] if f.get("check") == check["name"]])
        for check in report["checks"]
    ]
    orphans = [f for f in report["findings"] if f.get("check") not in names]
    if orphans:
        blocking = any(f["severity"] != "info" for f in orphans)
        cases.append(_case(suite_name, COVERAGE_CASE, "fail" if blocking else "pass", "", orphans))

    counts = {
        "tests": len(cases),
        "failures": sum(1 for case in cases if case.find("failure") is not None),
        "errors": sum(1 for case in cases if case.find("error") is not None),
        "skipped": sum(1 for case in cases if case.find("skipped") is not None),
    }
    attrs = {key: str(value) for key, value in counts.items()}
    root = ET.Element("testsuites", {"name": "hvguard", **attrs})
    suite = ET.SubElement(root, "testsuite", {"name": suite_name, **attrs})
    suite.append(_properties(report))
    suite.extend(cases)
    ET.indent(root)
    stream.write(ET.tostring(root, encoding="us-ascii", xml_declaration=True).decode("ascii") + "\n")


def _case(suite_name: str, name: str, status: str, detail: str, findings: Sequence[dict[str, Any]]) -> ET.Element:
    case = ET.Element("testcase", {"classname": suite_name, "name": _clean(name)})
    if status == "fail":
        ids = sorted({f["id"] for f in findings})
        failure = ET.SubElement(case, "failure", {
            "message": _clean(f"{len(findings)} finding(s): {', '.join(ids)}" if findings else detail or "failed"),
            "type": _worst(findings),
        })
        failure.text = _clean("\n".join(_finding_line(f) for f in findings))
    elif status in ("unknown", "error"):
        ET.SubElement(case, "error", {"message": _clean(detail or status), "type": status})
    elif status == "skipped":
        ET.SubElement(case, "skipped", {"message": _clean(detail or "skipped")})
    return case


def _worst(findings: Sequence[dict[str, Any]]) -> str:
    """The worst severity label, or "fail" for a failed check whose findings are not attributed."""
    present = {f["severity"] for f in findings}
    return next((sev for sev in SEVERITIES if sev in present), "fail")


def _finding_line(finding: dict[str, Any]) -> str:
    resource = resource_label(finding["resource"])
    return f"[{finding['severity']}] {finding['id']}" + (f" {resource}" if resource else "") + f": {finding['message']}"


def _properties(report: Report) -> ET.Element:
    cluster = report["cluster"]
    values = {
        "verdict": report["verdict"],
        "source": source_line(report),
        "harvesterVersion": cluster["harvesterVersion"],
        "longhornVersion": cluster["longhornVersion"],
        "target": report.get("target"),
        "hvguardVersion": report["tool"]["version"],
    }
    properties = ET.Element("properties")
    for name, value in values.items():
        if value:
            ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
    return properties


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
