"""The only door to the Kubernetes API, and the only importer of the ``kubernetes`` package.

Read paths (GET/LIST) live in ``client``; everything above this package sees plain dicts and
``KubeError``, never a client type, so sources and actions stay testable and swappable.
"""
