"""The harvester#7958 trail on the demo cluster, its bundle, and the logs document's JSON Schema."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from logkit import TRAIL_BUNDLE_AT, TRAIL_CRD_APPLIED_AT, TRAIL_MIGRATED_AT
from referencing import Registry, Resource

from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.demo import demo_cluster
from hvguard.synth.log_trail import LogTrail, pruned_migration_trail, with_trail
from hvguard.synth.model import SyntheticCluster

LogsDoc = dict[str, Any]


@pytest.fixture(scope="session")
def trail() -> LogTrail:
    return pruned_migration_trail(demo_cluster(), migrated_at=TRAIL_MIGRATED_AT, crd_applied_at=TRAIL_CRD_APPLIED_AT,
                                  observed_at=TRAIL_BUNDLE_AT)


@pytest.fixture(scope="session")
def trail_cluster(trail: LogTrail) -> SyntheticCluster:
    return dataclasses.replace(with_trail(demo_cluster(), trail), created_at=TRAIL_BUNDLE_AT)


@pytest.fixture(scope="session")
def trail_bundle(trail_cluster: SyntheticCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trail") / "after-7958.zip"
    write_bundle(trail_cluster, path)
    return path


@pytest.fixture(scope="session")
def validate() -> Callable[[LogsDoc], LogsDoc]:
    """Validate a document against logs-v1.json (which takes its finding shape from report-v1.json)."""
    folder = resources.files("hvguard.reports").joinpath("schemas")
    schemas = [json.loads(folder.joinpath(name).read_text("utf-8")) for name in ("logs-v1.json", "report-v1.json")]
    registry: Registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    jsonschema.Draft202012Validator.check_schema(schemas[0])
    validator = jsonschema.Draft202012Validator(schemas[0], registry=registry)

    def check(doc: LogsDoc) -> LogsDoc:
        validator.validate(doc)
        return doc

    return check
