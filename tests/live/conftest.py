"""Fixtures for the live-source tests; the helpers live in ``live_support.py`` (re-exported here for
test packages that import ``live.conftest``)."""

from live.live_support import comparable, demo, demo_api, demo_bundle, kubeconfig, serve

__all__ = ["comparable", "demo", "demo_api", "demo_bundle", "kubeconfig", "serve"]
