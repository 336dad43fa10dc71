"""Analysis: pure functions of a ClusterState (+ knowledge) → findings, inventory, predictions.

Nothing here may import ``hvguard.sources``, ``hvguard.cli`` or a Kubernetes client: what runs on a
bundle in a test is exactly what runs on a live cluster.
"""
