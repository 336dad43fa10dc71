"""Upgrade knowledge shipped as data, and the pure logic over it.

``data/`` holds the releases, the support matrix, the known issues and the Longhorn migration rules
(each validated by a JSON Schema in ``schemas/``); ``crds/`` holds pinned upstream Longhorn CRDs.
``versions`` parses version strings, ``crdschema`` answers "what would the API server prune",
``catalog`` loads the data (``load_catalog``) and answers path, issue and migration questions.

Imports only ``hvguard.errors`` from the rest of hvguard; ``analysis`` builds on it.
"""
