"""Shared package of the ArcGIS Portal security automation.

Layout:
- ``errors``: the named errors; their class names are the state machine's contract.
- ``sensitive``: the ``Secret`` wrapper and the redactor that keeps values out of text.
- ``portal``: the Portal Admin API client (HTTP only; no AWS).
- ``domain``: shared keys and security configuration (pure logic, no I/O).
- ``aws``: adapters to Secrets Manager and other AWS services (no portal HTTP).
"""
