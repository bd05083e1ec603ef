"""The registry is complete and mirrored: every workaround module is listed once, and each
workaround has its raw-moto test in the test module of the same name."""

from __future__ import annotations

import importlib
import pkgutil

from portal_local.aws import moto_workarounds

UNLISTED = {"base", "server"}  # shared helpers; moto's server, bound by the endpoint itself


def _raw_tests(module: str) -> set[str]:
    tests = importlib.import_module(f"tests.local_aws.moto_workarounds.test_{module}")
    return {n.removeprefix("test_raw_moto_") for n in vars(tests) if n.startswith("test_raw_moto_")}


def test_every_workaround_module_is_listed_once() -> None:
    found = {m.name for m in pkgutil.iter_modules(moto_workarounds.__path__)} - UNLISTED
    listed = [m.__name__.rpartition(".")[2] for m in moto_workarounds.MODULES]
    assert sorted(listed) == sorted(found)
    assert len(set(listed)) == len(listed)


def test_every_workaround_has_a_raw_moto_test_in_its_module_s_test() -> None:
    for module in moto_workarounds.MODULES:
        name = module.__name__.rpartition(".")[2]
        workarounds = {w.__name__ for w in module.WORKAROUNDS}
        assert all(w.__module__ == module.__name__ for w in module.WORKAROUNDS), name
        assert _raw_tests(name) == workarounds, name
        for workaround in module.WORKAROUNDS:
            assert workaround.__doc__, workaround.__name__
    assert _raw_tests("server") == {"server_bound_here"}


def test_install_installs_every_module_s_workarounds_in_registry_order() -> None:
    expected = [w for m in moto_workarounds.MODULES for w in m.WORKAROUNDS]
    assert list(moto_workarounds.WORKAROUNDS) == expected
