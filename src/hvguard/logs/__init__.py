"""Storage warnings in container logs and events, matched against the known signatures.

A bundle or a live cluster holds the record of what happened to the backing images: the migration
line, the pruned-field warnings, the deletions, the replicas left waiting. ``lines`` cuts streamed
bytes into bounded lines, ``scan`` matches them (and Events) against
``hvguard.knowledge.logsigs`` and folds the hits into groups, ``bundle_logs`` and ``live_logs``
feed it from the two sources, and ``findings`` turns the groups into findings ``log/<signature>``.

Logs are streamed and never held whole: a container log can be gigabytes.
"""
