"""The table and Markdown views: the key facts, in order, in the same words, from the document alone."""

from __future__ import annotations

import copy
import io
import json
import re
from typing import Any

import pytest

from hvguard.knowledge.versions import parse
from hvguard.reports import paths as document
from hvguard.reports.table import PIPE_WIDTH

PathsDoc = dict[str, Any]


def build(source: str, target: str) -> PathsDoc:
    return document.build(parse(source), parse(target))


def rendered(doc: PathsDoc, fmt: str) -> str:
    stream = io.StringIO()
    document.render(doc, fmt, stream)
    return stream.getvalue()


@pytest.fixture(scope="module")
def supported() -> PathsDoc:
    return build("v1.3.2", "v1.4.0")


@pytest.fixture(scope="module")
def routed() -> PathsDoc:
    return build("v1.3.1", "v1.4.0")


def flat(text: str) -> str:
    """The words of a rich rendering, without line breaks and panel borders."""
    return " ".join(text.replace("│", " ").split())


def in_order(text: str, *parts: str) -> bool:
    positions = [text.find(part) for part in parts]
    return -1 not in positions and positions == sorted(positions)


class TestTable:
    def test_verdict_first_then_data_at_risk_route_components_migrations_issues(self, supported: PathsDoc) -> None:
        text = rendered(supported, "table")
        assert text.splitlines()[0] == "SUPPORTED  v1.3.2 → v1.4.0 — in Harvester's support matrix"
        assert in_order(text, "DATA AT RISK", "ROUTE (1 hop(s))", "COMPONENT CHANGES", "LONGHORN MIGRATIONS",
                        "DATA-LOSS (", "CLUSTER-OUTAGE (", "STUCK-UPGRADE (")

    def test_the_lenient_backing_image_migration_is_spelled_out(self, supported: PathsDoc) -> None:
        text = flat(rendered(supported, "table"))
        assert ("longhorn-manager v1.7.2 runs v16xto170-backingimages with lenient writes; if the live "
                "backingimages.longhorn.io CRD does not declare spec.diskFileSpecMap, spec.minNumberOfCopies") in text
        assert "hvguard preflight --to v1.4.0 checks the live one" in text
        assert "v1.3.2 → v1.4.0 Longhorn v1.6.2 → v1.7.2" in text
        assert "v16xto170-backingimages backingimages.longhorn.io LENIENT data-loss" in text
        assert "(harvester#7958)" in text  # the migration's effect is never cut short

    def test_components_and_issues(self, supported: PathsDoc) -> None:
        text = rendered(supported, "table")
        assert re.search(r"longhorn\s+v1\.6\.2\s+v1\.7\.2", text)
        assert "end to end" not in text  # one hop: the same changes again would be noise
        assert "known-issue/harvester-7958" in text and "known-issue/harvester-7717" in text
        assert "hvguard preflight detects exposure (detector crd-prunes-target-fields)" in text
        assert "path-only: hvguard cannot see exposure in cluster state" in text
        assert "https://docs.harvesterhci.io/v1.8/upgrade/v1-3-2-to-v1-4-0" in text

    def test_a_route_lists_its_hops_and_marks_the_direct_jump(self, routed: PathsDoc) -> None:
        text = rendered(routed, "table")
        assert text.splitlines()[0] == "UNSUPPORTED  v1.3.1 → v1.4.0 — take route v1.3.1 → v1.3.2 → v1.4.0"
        assert "ROUTE (2 hop(s))" in text
        assert re.search(r"-\s+v1\.3\.1 → v1\.4\.0 \(direct\)\s+not in the support matrix", text)
        assert "end to end" in text
        assert "v1.3.1 → v1.3.2  Longhorn v1.6.2 unchanged" in text
        assert "no migration rule hvguard knows applies" in text
        assert "skip-version-check" in flat(text)

    def test_unknown_and_downgrade_say_what_is_missing(self) -> None:
        unknown = rendered(build("v1.3.2", "v1.4.9"), "table")
        assert unknown.startswith("UNKNOWN  v1.3.2 → v1.4.9")
        assert "v1.4.9 (not in hvguard's release data)" in unknown
        assert "No route, so no migrations." in unknown
        assert re.search(r"end to end\s+unknown\s+no release data", unknown)
        assert "v1.3.2 → v1.4.9 (direct)" in unknown
        downgrade = rendered(build("v1.4.0", "v1.3.2"), "table")
        assert downgrade.startswith("UNSUPPORTED  v1.4.0 → v1.3.2 — a downgrade")
        assert "No route." in downgrade and "No known issue applies." in downgrade

    def test_piped_output_has_a_stable_width(self, routed: PathsDoc) -> None:
        assert max(len(line) for line in rendered(routed, "table").splitlines()) <= PIPE_WIDTH


class TestMarkdown:
    def test_key_facts(self, supported: PathsDoc) -> None:
        text = rendered(supported, "markdown")
        assert text.startswith("# hvguard paths: SUPPORTED\n\n> **SUPPORTED** v1.3.2 → v1.4.0 — ")
        assert "> **Data at risk:** v1.3.2 → v1.4.0: longhorn-manager v1.7.2 runs v16xto170-backingimages" in text
        assert "| 1 | v1.3.2 → v1.4.0 | <https://docs.harvesterhci.io/v1.8/upgrade/v1-3-2-to-v1-4-0> |" in text
        assert "| v1.3.2 → v1.4.0 | longhorn | v1.6.2 | v1.7.2 |" in text
        assert "### v1.3.2 → v1.4.0 — Longhorn v1.6.2 → v1.7.2" in text
        assert ("| `v16xto170-backingimages` | `backingimages.longhorn.io` | spec.diskFileSpecMap, "
                "spec.minNumberOfCopies | **lenient** | **data-loss**: ") in text
        assert "#### `known-issue/harvester-7958` — Backing-image files deleted" in text
        assert in_order(text, "## Route", "## Component changes", "## Longhorn migrations", "## Known issues",
                        "### DATA-LOSS", "### CLUSTER-OUTAGE")

    def test_mitigations_and_references_are_complete(self, supported: PathsDoc) -> None:
        text = rendered(supported, "markdown")
        issue = next(i for i in supported["issues"] if i["id"] == "harvester-7958")
        assert "Resolving Backing Image Unavailability" in text  # the end of a long mitigation
        assert all(f"<{url}>" in text for url in issue["urls"])

    def test_every_table_row_has_as_many_cells_as_its_header(self, routed: PathsDoc) -> None:
        for block in rendered(routed, "markdown").split("\n\n"):
            rows = [line for line in block.splitlines() if line.startswith("|")]
            cells = {len(re.split(r"(?<!\\)\|", row)) for row in rows}
            assert len(cells) <= 1, block

    def test_notes_are_listed(self, routed: PathsDoc) -> None:
        assert "\n- Harvester v1.4.0 refuses upgrades from versions older than v1.3.2" in rendered(routed, "markdown")


class TestFromTheDocumentAlone:
    def test_the_document_is_plain_json(self, routed: PathsDoc) -> None:
        assert json.loads(json.dumps(routed)) == routed

    def test_json_is_the_document(self, routed: PathsDoc) -> None:
        assert json.loads(rendered(routed, "json")) == routed

    def test_text_from_the_document_is_printed_literally(self, supported: PathsDoc) -> None:
        doc = copy.deepcopy(supported)
        doc["issues"][0]["title"] = "[bold]x[/bold] | <tag> *y*"
        table = rendered(doc, "table")
        assert "[bold]x[/bold] | <tag> *y*" in table
        assert r"— \[bold\]x\[/bold\] | \<tag\> \*y\*" in rendered(doc, "markdown")

    def test_an_unknown_format_is_refused(self, supported: PathsDoc) -> None:
        with pytest.raises(ValueError, match="unknown paths format 'junit'"):
            rendered(supported, "junit")
