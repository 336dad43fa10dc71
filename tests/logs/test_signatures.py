"""Every signature matches what its component writes, names the objects the line names, and nothing else.

Positive lines are the shapes longhorn-manager and backing-image-manager v1.7.2 write (logrus text
with caller, klog for client-go warnings, Go stack frames, the event echo of record.StartLogging);
negative lines are the near misses a log really holds next to them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from logkit import BUNDLE_AT, SIGNATURES, event, example

from hvguard.errors import KnowledgeError
from hvguard.knowledge import logsigs
from hvguard.knowledge.catalog import load_catalog
from hvguard.knowledge.logsigs import STAGES, Signature, load_signatures
from hvguard.knowledge.versions import parse
from hvguard.logs.scan import Collector, Origin, scan_events, scan_log

BI = "vmi-0974c797-79b1-533a-b16b-16712aea8df9"
DISK = "a56f9654-d046-56fc-8236-2535b5388d3e"
BIM = "backing-image-manager-7f21-a56f"
REPLICA = "pvc-ed62c761-2502-5666-930d-267eee7fde04-r-c9d6d696"
NODE = "harvester-node-0"


def matches(line: str, container: str = "longhorn-manager") -> dict[str, dict[str, str]]:
    """Signature id -> objects named, for one log line."""
    collector = Collector()
    scan_log([f"2026-11-01T09:00:00.123456789Z {line}\n".encode()], Origin("log", "longhorn-system", "p", container),
             load_signatures(), collector)
    return {group.signature.id: dict(group.objects) for group in collector.groups}


def event_matches(kind: str, message: str, reason: str = "Delete") -> dict[str, dict[str, str]]:
    collector = Collector()
    scan_events([event(kind, "owner-object", message, BUNDLE_AT, reason=reason)], load_signatures(), collector)
    return {group.signature.id: dict(group.objects) for group in collector.groups}


POSITIVE: list[tuple[str, str, str, dict[str, str]]] = [
    ("upgrade-path-v16x-to-v170", "longhorn-manager", example("upgrade-path-v16x-to-v170"), {}),
    ("pruned-disk-file-spec-map", "longhorn-manager", example("pruned-disk-file-spec-map"), {}),
    # logrus JSON output (--log-json) escapes the quotes
    ("pruned-disk-file-spec-map", "longhorn-manager",
     r'W0324 09:14:08.203117       1 warnings.go:71] unknown field \"spec.diskFileSpecMap\"', {}),
    *[("pruned-backing-image-fields", "longhorn-manager",
       f'W0324 09:14:08.203162       1 warnings.go:70] unknown field "spec.{field}"', {"field": field})
      for field in ("diskSelector", "minNumberOfCopies", "nodeSelector", "secret", "secretNamespace")],
    ("strict-validation-refused", "longhorn-manager", example("strict-validation-refused"), {"kind": "BackingImage"}),
    ("backing-image-without-disk-map", "longhorn-manager", example("backing-image-without-disk-map"),
     {"backingImage": BI, "replica": REPLICA}),
    ("invalid-backing-image-file-deleting", "longhorn-manager", example("invalid-backing-image-file-deleting"),
     {"backingImage": BI, "backingImageManager": BIM, "disk": DISK, "node": NODE}),
    ("all-backing-image-files-deleting", "longhorn-manager", example("all-backing-image-files-deleting"),
     {"backingImageManager": BIM, "disk": DISK, "node": NODE}),
    ("backing-image-manager-deleting-file", "backing-image-manager", example("backing-image-manager-deleting-file"),
     {"backingImage": BI, "disk": DISK}),
    ("backing-image-re-download", "longhorn-manager", example("backing-image-re-download"),
     {"backingImage": "vmi-9ce8236a-ff34-51c8-8bb9-8addd850af62"}),
    ("backing-image-unrecoverable", "longhorn-manager", example("backing-image-unrecoverable"),
     {"backingImage": BI, "sourceType": "upload"}),
    ("backing-image-unrecoverable", "longhorn-manager", example("backing-image-unrecoverable").replace(
        "type upload", "type export-from-volume"), {"backingImage": BI, "sourceType": "export-from-volume"}),
    ("replica-waiting-for-backing-image", "longhorn-manager", example("replica-waiting-for-backing-image"),
     {"backingImage": BI, "disk": DISK, "node": NODE, "replica": REPLICA}),
    ("eviction-panic", "longhorn-manager", example("eviction-panic"), {}),
    # The event echo client-go's record.StartLogging writes into longhorn-manager's log
    ("backing-image-file-deleted", "longhorn-manager",
     'time="2025-03-24T09:20:41Z" level=info msg="Event(v1.ObjectReference{Kind:\\"BackingImageManager\\", '
     'Namespace:\\"longhorn-system\\", Name:\\"' + BIM + '\\", UID:\\"0d6e\\", APIVersion:\\"longhorn.io/v1beta2\\", '
     'ResourceVersion:\\"1234\\", FieldPath:\\"\\"}): type: \'Normal\' reason: \'Delete\' '
     + example("backing-image-file-deleted") + '" func="record.(*eventBroadcasterImpl).StartLogging.func1" '
     'file="event.go:377"', {"backingImage": BI, "disk": DISK, "node": NODE}),
    ("unused-backing-image-manager-deleted", "longhorn-manager",
     f'time="2025-03-24T09:20:44Z" level=info msg="Event(...): type: \'Normal\' reason: \'Delete\' '
     f'{example("unused-backing-image-manager-deleted")}" func="record.(*eventBroadcasterImpl).StartLogging.func1"',
     {"backingImageManager": BIM, "disk": DISK, "node": NODE}),
    ("old-backing-image-manager-deleted", "longhorn-manager", example("old-backing-image-manager-deleted"),
     {"backingImageManager": "backing-image-manager-c16a-a56f", "disk": DISK, "node": NODE}),
]


@pytest.mark.parametrize(("signature", "container", "line", "objects"), POSITIVE,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(POSITIVE)])
def test_each_signature_matches_its_lines_and_names_their_objects(signature: str, container: str, line: str,
                                                                  objects: dict[str, str]) -> None:
    assert matches(line, container) == {signature: objects}


NEGATIVE: list[tuple[str, str]] = [
    # other migration walks
    ("longhorn-manager", 'time="2025-03-24T09:14:07Z" level=info msg="Walking through the resource upgrade path '
                         'v1.5.x to v1.6.0" func=upgrade.doResourceUpgrade file="upgrade.go:260"'),
    ("longhorn-manager", 'msg="Walking through the resource status upgrade path v1.6.x to v1.7.0"'),
    # a warning about a field that is not one the 1.7 BackingImage added, and a different warning
    *[("longhorn-manager", f'W0324 09:14:08.203117       1 warnings.go:70] unknown field "spec.{field}"')
      for field in ("freezeFilesystemForSnapshot", "diskFileSpecMapping", "secretName")],
    ("longhorn-manager", "W0324 09:14:08.203117       1 warnings.go:70] v1 ComponentStatus is deprecated in v1.19+"),
    # the diskFileSpecMap name outside a pruning warning
    ("longhorn-manager", 'level=info msg="Patching /spec/diskFileSpecMap" patchOps="[{\\"op\\": \\"add\\"}]"'),
    # the backing-image manager's own, harmless lines
    ("backing-image-manager", 'msg="Backing Image Manager: prepare to fetch backing image" backingImage=x'),
    ("backing-image-manager", 'msg="Backing Image Manager: deleted backing image" biName=x biUUID=y'),
    ("backing-image-manager", 'msg="Backing Image Manager: failed to delete backing image, will continue"'),
    # a signature's message in a container it does not belong to
    ("backing-image-manager", example("replica-waiting-for-backing-image")),
    ("instance-manager", example("backing-image-manager-deleting-file")),
    # asking is not waiting; a recovered re-download is not a loss
    ("longhorn-manager", f'msg="Asking backing image {BI} to download file to node {NODE} disk {DISK}"'),
    ("longhorn-manager", 'msg="Default backing image manager successfully took over the file, will mark the data '
                         'source as file transferred"'),
    # another nil-pointer panic, and the node controller's other functions
    ("longhorn-manager", "github.com/longhorn/longhorn-manager/controller.(*NodeController).syncNode(0xc000b2a1e0)"),
    ("longhorn-manager", 'E0601 02:14:33.415803       1 runtime.go:78] Observed a panic: "invalid memory address '
                         'or nil pointer dereference"'),
    # an empty line, binary junk
    ("longhorn-manager", ""),
    ("longhorn-manager", "\x00\x01\x02\ufffd\ufffd deleted old"),
]


@pytest.mark.parametrize(("container", "line"), NEGATIVE)
def test_near_misses_match_nothing(container: str, line: str) -> None:
    assert matches(line, container) == {}


@pytest.mark.parametrize(("signature", "kind"), [
    ("old-backing-image-manager-deleted", "BackingImage"),
    ("unused-backing-image-manager-deleted", "BackingImage"),
    ("backing-image-file-deleted", "BackingImageManager"),
])
def test_event_signatures_match_events_and_name_the_involved_object(signature: str, kind: str) -> None:
    found = event_matches(kind, example(signature))
    role = "backingImage" if kind == "BackingImage" else "backingImageManager"
    assert list(found) == [signature]
    assert found[signature][role] == "owner-object"
    assert event_matches(kind, example(signature), reason="Create") == {}
    assert event_matches("Volume", example(signature)) == {}


def test_every_signature_example_matches_only_its_own_signature() -> None:
    for signature in load_signatures():
        containers = sorted(signature.containers)
        found = matches(signature.example, containers[0])
        assert list(found) == [signature.id], signature.id


def test_data_fits_the_vocabulary() -> None:
    signatures = load_signatures()
    assert len({s.id for s in signatures}) == len(signatures)
    assert {s.stage for s in signatures} <= set(STAGES)
    for signature in signatures:
        assert set(signature.regex.groupindex) <= logsigs.ROLES
        assert set(signature.fields.values()) <= logsigs.ROLES
        assert signature.finding_id == f"log/{signature.id}"
        # every message was read in upstream source at a tag (or a pinned commit)
        assert any(re.search(r"/blob/(v\d+\.\d+\.\d+|[0-9a-f]{40})/", url) for url in signature.evidence.sources)


def test_the_brief_s_signatures_are_all_there() -> None:
    assert {"upgrade-path-v16x-to-v170", "pruned-disk-file-spec-map", "pruned-backing-image-fields",
            "strict-validation-refused", "invalid-backing-image-file-deleting", "all-backing-image-files-deleting",
            "backing-image-manager-deleting-file", "backing-image-file-deleted", "unused-backing-image-manager-deleted",
            "backing-image-unrecoverable", "eviction-panic", "replica-waiting-for-backing-image"} <= set(SIGNATURES)


def test_pruned_and_strict_ranges_agree_with_the_migration_write_mode() -> None:
    """A pruning warning comes from a lenient migration writer, the strict error from a strict one."""
    catalog = load_catalog()
    pruned, strict = SIGNATURES["pruned-disk-file-spec-map"], SIGNATURES["strict-validation-refused"]
    versions = {r.longhorn for r in catalog.releases if r.longhorn >= parse("v1.7.0")}
    versions |= {parse(v) for v in ("v1.7.0", "v1.7.1", "v1.7.3", "v1.7.4", "v1.8.0", "v1.8.2", "v1.9.0")}
    for version in versions:
        lenient = not catalog.write_validation.is_strict(version)
        assert pruned.known_for(version) is lenient, version
        assert SIGNATURES["pruned-backing-image-fields"].known_for(version) is lenient, version
        assert strict.known_for(version) is not lenient, version


def test_known_for_cannot_tell_without_a_comparable_version() -> None:
    signature = SIGNATURES["eviction-panic"]
    assert signature.known_for(None) is None
    assert signature.known_for(parse("master-head")) is None
    assert signature.known_for(parse("v1.7.2")) is True
    assert signature.known_for(parse("v1.8.1")) is False


@pytest.mark.parametrize(("change", "message"), [
    ({"pattern": "(?P<volume>x)unknown"}, "no role: volume"),
    ({"pattern": "unclosed (group"}, "does not fit the model"),
    ({"longhorn": ">=1.x"}, "invalid version range"),
])
def test_data_that_does_not_fit_is_a_knowledge_error(monkeypatch: pytest.MonkeyPatch, change: dict[str, Any],
                                                     message: str) -> None:
    raw = {"id": "x", "title": "t", "stage": "deletion", "severity": "warn", "containers": ["c"],
           "pattern": "prepare to delete", "meaning": "m", "action": "a", "urls": ["https://x"], "longhorn": "",
           "harvester": "", "sources": ["https://x"], "confidence": "high", "example": "e", **change}
    monkeypatch.setattr(logsigs.yaml, "safe_load", lambda text: {"signatures": [raw]})
    with pytest.raises(KnowledgeError, match=re.escape(message)):
        load_signatures.__wrapped__()


def test_signatures_load_once() -> None:
    assert load_signatures() is load_signatures()
    assert all(isinstance(s, Signature) for s in load_signatures())
