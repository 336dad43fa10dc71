"""Report documents for the renderer tests: real ones from the analysis pipeline, and a hand-made
one that exercises every branch (each verdict, check status, coverage gap and awkward string).

Every document is validated against ``report-v1.json`` before a renderer sees it, so the tests can
only pass on documents the model is allowed to produce.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from support import V10_SAMPLE as V1_SAMPLE
from support import validated

from hvguard.analysis import runner
from hvguard.reports import model, render
from hvguard.sources.bundle import load_bundle

Report = dict[str, Any]

REPO = Path(__file__).resolve().parents[2]
DEMO_BUNDLE = REPO / "src/hvguard/demo/demo-bundle.zip"


@pytest.fixture(scope="session")
def report_schema() -> dict[str, Any]:
    text = resources.files("hvguard.reports").joinpath("schemas/report-v1.json").read_text("utf-8")
    return json.loads(text)


@pytest.fixture(scope="session")
def validate() -> Callable[[Report], Report]:
    return validated("report-v1.json")


def _pipeline_report(bundle: Path, command: str = "preflight") -> Report:
    if not bundle.exists():
        pytest.skip(f"bundle not available: {bundle}")
    state = load_bundle(bundle)
    return model.build(state, runner.run(state), command=command)


@pytest.fixture(scope="session")
def sample_report(validate: Callable[[Report], Report]) -> Report:
    """The real v1.0 support bundle: WARN, two findings, one image with a failed copy."""
    return validate(_pipeline_report(V1_SAMPLE))


@pytest.fixture(scope="session", params=[V1_SAMPLE, DEMO_BUNDLE], ids=["v1.0-sample", "demo"])
def pipeline_report(request: pytest.FixtureRequest, validate: Callable[[Report], Report]) -> Report:
    """Every real bundle at hand (the demo bundle only once it exists)."""
    return validate(_pipeline_report(request.param))


def _finding(fid: str, severity: str, check: str, message: str, resource: dict[str, str] | None,
             evidence: dict[str, Any], references: list[str]) -> dict[str, Any]:
    return {
        "id": fid, "severity": severity, "title": fid.split("/")[1].replace("-", " "), "message": message,
        "resource": resource, "related": [], "evidence": evidence,
        "why": "Because.", "remediation": f"Fix {fid} (see <diskPath>/backing-images/).",
        "references": references, "check": check,
    }


def _bi(name: str) -> dict[str, str]:
    return {"apiVersion": "longhorn.io/v1beta2", "kind": "BackingImage", "namespace": "longhorn-system", "name": name}


def _image(name: str, *, source: str, ready_nodes: list[str], failed_nodes: list[str], vms: list[str],
           rebuildable: bool, reason: str, size: int | None, vm_image: str | None) -> dict[str, Any]:
    copies = [{"diskUUID": f"disk-{node}", "node": node, "state": state, "desired": True}
              for nodes, state in ((ready_nodes, "ready"), (failed_nodes, "failed")) for node in nodes]
    return {
        "name": name, "namespace": "longhorn-system", "vmImage": vm_image, "sourceType": source, "size": size,
        "readyCopies": len(ready_nodes), "copies": copies,
        "usedBy": {"volumes": [f"pvc-{vm}" for vm in vms], "pvcs": [f"{vm}-disk-0" for vm in vms], "vms": vms},
        "rebuildable": rebuildable, "rebuildReason": reason,
    }


def handmade() -> Report:
    """A BLOCK report with one of everything; stable, so it backs the Markdown golden file."""
    findings = [
        _finding("backing-image/no-ready-copy", "block", "backing-image-ready-copies",
                 "img-lost: no ready copy; 2 VM(s) cannot boot", _bi("img-lost"),
                 {"readyCopies": 0, "copies": {"disk-n1": {"state": "failed"}}},
                 ["https://longhorn.io/kb/troubleshooting-resolving-backing-image-unavailability-issue",
                  "https://github.com/harvester/harvester/issues/7958"]),
        _finding("source/incomplete", "block", "coverage",
                 "longhorn.io/replicas is unreadable (403 forbidden | rbac); unknown: replica-check", None,
                 {"resource": "longhorn.io/replicas", "status": "unreadable", "checks": ["replica-check"]}, []),
        _finding("backing-image/single-ready-copy", "warn", "backing-image-ready-copies",
                 "img-thin: only one ready copy (node n2) | in use by [bold]web[/bold]", _bi("img-thin"),
                 {"readyCopies": 1, "note": "x" * 200}, ["https://example.org/a"]),
        _finding("backing-image/unreferenced", "info", "backing-image-references",
                 "img-spare: no VM image and no volume refers to it", _bi("img-spare"), {}, []),
    ]
    return {
        "schema": "hvguard.report/v1",
        "tool": {"name": "hvguard", "version": "0.1.0", "command": "preflight"},
        "source": {"type": "bundle", "location": "/tmp/bundle.zip", "collectedAt": "2025-01-02T03:04:05Z",
                   "details": {}},
        "cluster": {"harvesterVersion": "v1.3.2", "longhornVersion": "v1.6.2", "kubernetesVersion": None, "nodes": 3},
        "target": "v1.4.0",
        "verdict": "block",
        "summary": {"block": 2, "warn": 1, "info": 1},
        "findings": findings,
        "checks": [
            {"name": "backing-image-ready-copies", "status": "fail", "description": "d",
             "findings": ["backing-image/no-ready-copy", "backing-image/single-ready-copy"], "detail": ""},
            {"name": "backing-image-references", "status": "pass", "description": "d",
             "findings": ["backing-image/unreferenced"], "detail": ""},
            {"name": "replica-check", "status": "unknown", "description": "d", "findings": [],
             "detail": "could not read longhorn.io/replicas"},
            {"name": "crashy-check", "status": "error", "description": "d", "findings": [],
             "detail": "KeyError: 'spec'"},
            {"name": "upgrade-path", "status": "skipped", "description": "d", "findings": [],
             "detail": "no --to target given"},
        ],
        "coverage": [
            {"resource": "longhorn.io/backingimages", "status": "read", "where": "yamls/bi.yaml", "reason": "",
             "count": 3},
            {"resource": "longhorn.io/replicas", "status": "unreadable", "reason": "403 forbidden | rbac"},
            {"resource": "longhorn.io/backupbackingimages", "status": "absent", "reason": "CRD not served"},
        ],
        "namespacesNotCollected": ["tenant-a"],
        "inventory": {"backingImages": [
            _image("img-lost", source="upload", ready_nodes=[], failed_nodes=["n1"],
                   vms=["default/db", "default/web"], rebuildable=False,
                   reason="sourceType upload cannot be fetched again", size=10 * 1024**3, vm_image="default/ubuntu"),
            _image("img-spare", source="download", ready_nodes=["n1", "n3"], failed_nodes=[], vms=[],
                   rebuildable=True, reason="re-downloadable from https://example.org/x_y.qcow2", size=None,
                   vm_image=None),
            _image("img-thin", source="upload", ready_nodes=["n2"], failed_nodes=[],
                   vms=[f"ns/vm{i}" for i in range(5)], rebuildable=False, reason="sourceType upload | no backup",
                   size=512 * 1024**2, vm_image="default/win|11"),
        ]},
    }


@pytest.fixture
def handmade_report(validate: Callable[[Report], Report]) -> Report:
    return validate(handmade())


@pytest.fixture
def empty_report(validate: Callable[[Report], Report]) -> Report:
    """A clean PASS: no findings, no images, every resource read."""
    report = handmade()
    report.update(verdict="pass", summary={"block": 0, "warn": 0, "info": 0}, findings=[], target=None,
                  coverage=[report["coverage"][0]], namespacesNotCollected=[], inventory={"backingImages": []})
    report["checks"] = [dict(check, status="pass", findings=[], detail="") for check in report["checks"]]
    return validate(report)


Renderer = Callable[..., str]


@pytest.fixture
def rendered() -> Renderer:
    """``rendered(report, fmt, stream=None)``: the output, after checking the document was left alone."""

    def run(report: Report, fmt: str, stream: io.StringIO | None = None) -> str:
        before = copy.deepcopy(report)
        out = stream or io.StringIO()
        render.render(report, fmt, out)
        assert report == before, f"{fmt} renderer modified the report"
        return out.getvalue()

    return run
