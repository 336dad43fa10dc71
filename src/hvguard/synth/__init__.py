"""Synthetic Harvester clusters and support bundles, for demos and tests.

``builders`` makes realistic API objects one kind at a time; ``demo`` assembles the demo cluster and
``generator`` (planned by ``scale_plan``) clusters of three sizes, both on the ``platform`` they share;
``bundle_writer`` turns a ``model.SyntheticCluster`` into a support-bundle zip exactly as
support-bundle-kit writes one (``sbk`` for its rewrite of list responses, ``goyaml`` for Go's YAML).
"""
