"""Everything that runs the project on one machine: never deployed to AWS.

``portal_local.emulator`` is a faithful ArcGIS Enterprise Portal emulator (see
``docs/PORTAL_API.md`` for the behaviour it reproduces); ``portal_local.cli`` is
the ``portal-local`` command line.
"""
