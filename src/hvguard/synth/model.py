"""A synthetic Harvester cluster: the API objects as the server holds them, before any bundle quirk.

The objects are in clean API form (what ``kubectl get -o json`` shows: empty strings, JSON nulls
and integers intact), so tests can compare a reader's output with the truth. The support-bundle
writer applies support-bundle-kit's lossy rewrite; nothing else does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class SyntheticCluster:
    """Everything a support bundle of this cluster would be made of.

    ``objects`` holds every object in the cluster, including those in namespaces the bundle does not
    collect (the writer leaves those out, as support-bundle-kit does). ``crds`` are the installed
    CustomResourceDefinitions in live form. ``namespaces`` names every namespace (each also has a
    Namespace object); ``collected_namespaces`` are the ones support-bundle-kit walks. ``logs`` maps
    a path under ``logs/`` (``<ns>/<pod>/<container>.log``) to its text.
    """

    objects: list[dict[str, Any]]
    crds: list[dict[str, Any]]
    namespaces: list[str]
    collected_namespaces: list[str]
    logs: dict[str, str]
    generation_errors: list[str]
    kubernetes_version: str
    created_at: str  # RFC 3339, when the bundle was generated
    bundle_name: str = "bundle-synthetic"  # the SupportBundle CR behind the bundle
    manager_namespace: str = "harvester-system"  # where support-bundle-kit ran; its UID names the zip
    issue_url: str = ""
    issue_description: str = ""
