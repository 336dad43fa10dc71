"""Write a ``SyntheticCluster`` as a Harvester support bundle zip, as support-bundle-kit would.

Layout (rancher/support-bundle-kit ``pkg/manager``): one top folder
``supportbundle_<uuid of the manager's namespace>_<bundlecreatedat with ':' -> '-'>/`` holding
``metadata.yaml`` (yaml.v2 of a Go struct: lower-cased field names, struct order),
``bundleGenerationError.log``, ``yamls/...`` (one List per resource, see ``resources``) and
``logs/<ns>/<pod>/<container>.log``. Only collected namespaces get a ``yamls/namespaced/<ns>/``
folder; cluster-scoped lists (``namespaces.yaml`` among them) are complete.

The zip is deterministic: entries sorted, directory entries included (as ``zip -r`` makes them),
every timestamp set to the bundle's creation time. The file is replaced atomically.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from hvguard.atomic import atomic_write
from hvguard.synth import goyaml, sbk
from hvguard.synth.ids import parse_time
from hvguard.synth.model import SyntheticCluster
from hvguard.synth.resources import Resource, resource_of

BUNDLE_VERSION = "0.1.0"


def write_bundle(cluster: SyntheticCluster, path: Path) -> None:
    """Write the bundle zip of ``cluster`` to ``path`` (replaced atomically)."""
    data = bundle_zip(cluster)
    with atomic_write(Path(path), "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o644)  # an ordinary readable file, not the 0600 of the temporary it was renamed from


def bundle_zip(cluster: SyntheticCluster) -> bytes:
    """The zip bytes: the same cluster always gives the same bytes."""
    top = bundle_folder(cluster)
    files = bundle_files(cluster)
    stamp = parse_time(cluster.created_at).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(_with_directories(f"{top}/{rel}" for rel in files)):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # Unix, so the modes below mean what they say
            if name.endswith("/"):
                info.external_attr = (0o40755 << 16) | 0x10
                archive.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, files[name[len(top) + 1:]])
    return buffer.getvalue()


def bundle_folder(cluster: SyntheticCluster) -> str:
    """``supportbundle_<uuid>_<time>``, as support-bundle-kit names the zip and its folder."""
    return f"supportbundle_{_project_namespace_uuid(cluster)}_{cluster.created_at.replace(':', '-')}"


def _project_namespace_uuid(cluster: SyntheticCluster) -> str:
    """The UID of the namespace support-bundle-kit ran in (``projectnamespaceuuid``)."""
    uid: str = next(o["metadata"]["uid"] for o in cluster.objects
                    if o["kind"] == "Namespace" and o["metadata"]["name"] == cluster.manager_namespace)
    return uid


def bundle_files(cluster: SyntheticCluster) -> dict[str, bytes]:
    """Every file of the bundle, by path below the top folder."""
    files = {
        "metadata.yaml": _metadata(cluster).encode(),
        "bundleGenerationError.log": "".join(f"{line}\n" for line in cluster.generation_errors).encode(),
    }
    files.update((f"logs/{path}", text.encode()) for path, text in cluster.logs.items())
    files.update(_list_files([*cluster.objects, *cluster.crds], cluster.collected_namespaces))
    return files


def _metadata(cluster: SyntheticCluster) -> str:
    return goyaml.dump({
        "bundlename": cluster.bundle_name,
        "bundleversion": BUNDLE_VERSION,
        "kubernetesversion": cluster.kubernetes_version,
        "projectnamespaceuuid": _project_namespace_uuid(cluster),
        "bundlecreatedat": cluster.created_at,
        "issueurl": cluster.issue_url,
        "issuedescription": cluster.issue_description,
    }, sort_maps=False)


def _list_files(objects: Iterable[Mapping[str, Any]], collected: Iterable[str]) -> dict[str, bytes]:
    """One List file per resource and namespace; uncollected namespaces and empty lists have none."""
    walked = set(collected)
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    resources: dict[str, Resource] = {}
    for obj in objects:
        resource = resource_of(obj)
        namespace = obj["metadata"].get("namespace") if resource.namespaced else None
        if resource.namespaced and namespace not in walked:
            continue
        path = resource.bundle_path(namespace)
        groups[path].append(obj)
        resources[path] = resource
    # The lists are read one after another, so each later one sees a slightly newer etcd revision.
    revision = max(int(obj["metadata"]["resourceVersion"]) for items in groups.values() for obj in items)
    files: dict[str, bytes] = {}
    for index, path in enumerate(sorted(groups)):
        items = sorted(groups[path], key=lambda o: o["metadata"]["name"])
        response = sbk.list_response(items, resources[path], str(revision + 1 + index))
        rewritten = sbk.rewrite(response, resources[path])
        if rewritten is not None:
            files[path] = goyaml.dump(rewritten).encode()
    return files


def _with_directories(names: Iterable[str]) -> set[str]:
    """The names plus an entry for every folder above them, as ``zip -r`` records folders."""
    entries = set()
    for name in names:
        entries.add(name)
        entries.update(f"{parent}/" for parent in PurePosixPath(name).parents if str(parent) != ".")
    return entries
