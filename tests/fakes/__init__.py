"""In-memory twins of the ports (portal_automation.ports), for fast tests of the steps.

Each fake keeps the semantics of the real adapter it stands for, named errors
included; ``tests/unit/test_fake_contracts.py`` runs the same scenarios against a fake
and its real adapter (on moto in-process, or the Portal emulator over sockets) so the
two cannot drift apart.
"""
