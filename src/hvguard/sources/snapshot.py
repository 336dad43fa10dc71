"""Snapshots: everything the analysis read, saved to one archive and loaded back as a source.

A snapshot is a zip holding ``manifest.json`` (schema id, tool version, when, the original source,
coverage, and the SHA-256 of every member) and one ``objects/<type>.json`` per resource type. It
records the pre-upgrade state that ``verify`` compares against, so it is refused outright when a
checksum or the schema id does not match: a silently wrong baseline is worse than none. Secrets are
never read, so they can never be in a snapshot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import orjson

from hvguard import __version__
from hvguard.atomic import atomic_write
from hvguard.errors import SnapshotError
from hvguard.sources import bulk
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Coverage, ReadStatus, SourceInfo
from hvguard.state.trim import trim

SCHEMA = "hvguard.snapshot/v1"
MANIFEST = "manifest.json"


def _member(kind_key: str) -> str:
    return "objects/" + kind_key.replace("/", "_") + ".json"


def write_snapshot(state: ClusterState, path: Path) -> dict[str, Any]:
    """Write ``state`` to ``path`` atomically; returns the manifest."""
    members: dict[str, bytes] = {
        # Sorted keys make equal states equal bytes; orjson encodes a large cluster ten times faster than json.
        _member(key): orjson.dumps(list(state.objects(k.BY_KEY[key])), option=orjson.OPT_SORT_KEYS)
        for key in state.coverage if key in k.BY_KEY
    }
    manifest = {
        "schema": SCHEMA,
        "tool": {"name": "hvguard", "version": __version__},
        "createdAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": {"type": state.source.type, "location": state.source.location,
                   "collectedAt": state.source.collected_at, "details": dict(state.source.details)},
        "coverage": [{"resource": c.kind, "status": c.status.value, "apiVersion": c.api_version, "where": c.where,
                      "reason": c.reason, "count": c.count} for c in state.coverage.values()],
        "namespacesNotCollected": list(state.namespaces_not_collected),
        "members": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())},
    }
    with atomic_write(path, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        for name, data in sorted(members.items()):
            archive.writestr(name, data)
    return manifest


def load_snapshot(path: Path) -> ClusterState:
    if not path.is_file():
        raise SnapshotError(f"snapshot not found: {path}")
    try:
        with bulk.decoding(), zipfile.ZipFile(path) as archive:
            manifest = _manifest(archive, path)
            objects, coverage = {}, {}
            for entry in manifest["coverage"]:
                key = entry["resource"]
                if key not in k.BY_KEY:
                    continue
                coverage[key] = Coverage(key, ReadStatus(entry["status"]), entry.get("apiVersion"),
                                         entry.get("where", ""), entry.get("reason", ""), int(entry.get("count", 0)))
                # Snapshots from before trimming hold whole objects; trim them like any other source's.
                objects[key] = [trim(obj, k.BY_KEY[key]) for obj in _objects(archive, manifest, _member(key), path)]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise SnapshotError(f"corrupt or truncated snapshot {path}: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"malformed snapshot manifest in {path}: {exc}") from exc
    source = manifest["source"]
    details = {**source.get("details", {}), "original_source": f"{source['type']}:{source['location']}",
               "snapshot_created": manifest["createdAt"], "snapshot_tool_version": manifest["tool"]["version"]}
    return ClusterState(SourceInfo("snapshot", str(path), source.get("collectedAt"), details), objects, coverage,
                        manifest.get("namespacesNotCollected", []))


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise SnapshotError(f"not an hvguard snapshot: {path} has no {MANIFEST}") from None
    except ValueError as exc:
        raise SnapshotError(f"malformed snapshot manifest in {path}: {exc}") from exc
    schema = manifest.get("schema") if isinstance(manifest, dict) else None
    if schema != SCHEMA:
        raise SnapshotError(f"unsupported snapshot schema {schema!r} in {path} (this hvguard reads {SCHEMA})",
                            hint="use the hvguard version that wrote it, or take a new snapshot")
    return dict(manifest)


def _objects(archive: zipfile.ZipFile, manifest: dict[str, Any], member: str, path: Path) -> list[Any]:
    expected = manifest["members"].get(member)
    try:
        data = archive.read(member)
    except KeyError:
        raise SnapshotError(f"snapshot {path} is missing {member}") from None
    if expected is None or hashlib.sha256(data).hexdigest() != expected:
        raise SnapshotError(f"snapshot {path} failed its checksum for {member}: refusing a tampered or damaged baseline")
    objs = json.loads(data)
    if not isinstance(objs, list):
        raise SnapshotError(f"snapshot {path}: {member} is not a list of objects")
    return objs
