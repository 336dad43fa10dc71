"""Data and code agree: every finding id a check declares is catalogued, every detector the knowledge
names is implemented by a registered check that can emit the finding ids it watches."""

from __future__ import annotations

import re

from hvguard.analysis import findings, known_issues
from hvguard.analysis.registry import DEFAULT
from hvguard.analysis.runner import INCOMPLETE_ID, NOT_COLLECTED_ID
from hvguard.analysis.verify import COMPARISONS
from hvguard.knowledge.catalog import load_catalog
from hvguard.watch.alerts import ALERT_IDS

ID = re.compile(r"^[a-z0-9-]+/[a-z0-9.-]+$")


def test_every_declared_finding_is_catalogued_and_every_catalogued_one_is_produced() -> None:
    declared = {fid for registry in (DEFAULT, COMPARISONS) for spec in registry for fid in spec.produces} | ALERT_IDS
    catalogued = set(findings.catalog())
    assert declared <= catalogued
    assert catalogued - declared == {INCOMPLETE_ID, NOT_COLLECTED_ID}


def test_finding_ids_are_well_formed() -> None:
    ids = set(findings.catalog()) | {issue.finding_id for issue in load_catalog().issues}
    assert all(ID.match(fid) for fid in ids), sorted(fid for fid in ids if not ID.match(fid))


def test_every_detector_in_the_knowledge_is_implemented() -> None:
    named = {issue.detector for issue in load_catalog().issues if issue.detector}
    assert named <= set(known_issues.DETECTORS)


def test_detectors_point_at_checks_that_emit_their_findings() -> None:
    checks = {spec.name: spec for spec in DEFAULT}
    for detector, (check, ids) in known_issues.DETECTORS.items():
        assert check in checks, detector
        assert ids <= set(checks[check].produces), detector


def test_every_check_has_a_description() -> None:
    assert all(spec.description for registry in (DEFAULT, COMPARISONS) for spec in registry)


def test_every_published_document_schema_is_valid_2020_12() -> None:
    from importlib import resources

    from support import document_validator

    folder = resources.files("hvguard.reports").joinpath("schemas")
    names = [f.name for f in folder.iterdir() if f.name.endswith(".json")]
    assert {"report-v1.json", "plan-v1.json", "paths-v1.json", "logs-v1.json"} <= set(names)
    for name in names:
        document_validator(name)  # check_schema raises on an invalid schema
