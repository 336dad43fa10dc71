"""Cluster facts read from settings: the versions the analysis keys on."""

from __future__ import annotations

from hvguard.analysis.fields import dig
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState


def _setting(state: ClusterState, kind: k.Kind, setting: str) -> str:
    obj = state.get(kind, setting)
    return str(dig(obj, "value", default="") or "") if obj else ""


def harvester_version(state: ClusterState) -> str:
    """Harvester's ``server-version`` setting ("" when unknown)."""
    return _setting(state, k.HARVESTER_SETTINGS, "server-version")


def longhorn_version(state: ClusterState) -> str:
    """Longhorn's ``current-longhorn-version`` setting ("" when unknown)."""
    return _setting(state, k.LH_SETTINGS, "current-longhorn-version")


def longhorn_setting(state: ClusterState, setting: str) -> str:
    return _setting(state, k.LH_SETTINGS, setting)
