"""The portal client against 11.4 to 12.x portals (PORTAL_API.md 2, 6c, 7d): the token's
transport per version, the license's user types, the federated servers' validation."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from portal_automation.domain.version import PortalVersion
from portal_automation.portal import PortalClient
from portal_automation.sensitive import Secret
from portal_local.emulator import PortalEmulator

from .support import ADMIN, CANARY_PASSWORD, P113, portal_settings, running

P120 = "p120"
P120_RENAMED = "p120r"


@pytest.fixture(scope="module")
def emu() -> Iterator[PortalEmulator]:
    with running(
        portal_settings("11.3", P113),
        portal_settings("12.0", P120, federated_servers=("success", "failure")),
        portal_settings("12.0", P120_RENAMED, user_type_ids="renamed"),
    ) as emulator:
        yield emulator


def _admin_records(emu: PortalEmulator, context: str, mark: int) -> list[tuple[str, bool]]:
    """(path, sent an Authorization header) of each token-bearing request since ``mark``."""
    return [
        (r.path, "authorization" in r.header_names)
        for r in emu.request_log[mark:]
        if r.context == context and "token" in r.body_keys
    ]


@pytest.mark.parametrize(("context", "header"), [(P113, False), (P120, True)])
def test_the_bearer_header_is_sent_once_the_version_takes_it(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], context: str, header: bool
) -> None:
    client = make_client(context)
    token = client.generate_token(ADMIN, Secret(CANARY_PASSWORD))
    mark = len(emu.request_log)

    info = client.info(token)  # the version is not known yet: body only
    client.read_security_config(token)  # known now

    assert client.version == info.version
    assert _admin_records(emu, context, mark) == [
        (f"/{context}/portaladmin", False),
        (f"/{context}/portaladmin/security/config", header),
    ]


def test_a_client_given_the_version_sends_the_header_from_its_first_call(
    emu: PortalEmulator, make_client: Callable[..., PortalClient]
) -> None:
    client = make_client(P120)
    client.version = PortalVersion.parse("12.0")
    token = client.generate_token(ADMIN, Secret(CANARY_PASSWORD))
    mark = len(emu.request_log)

    client.read_shared_key(token)

    assert _admin_records(emu, P120, mark) == [(f"/{P120}/portaladmin/security/tokens", True)]


def test_the_license_lists_the_portals_own_user_types(
    make_client: Callable[..., PortalClient],
) -> None:
    client = make_client(P120_RENAMED)
    token = client.generate_token(ADMIN, Secret(CANARY_PASSWORD))

    types = client.license_user_types(token)

    assert {"professionalUT", "contributorUT", "creatorUT"} <= set(types)
    assert "GISProfessionalStdUT" not in types


def test_each_federated_server_is_validated(make_client: Callable[..., PortalClient]) -> None:
    client = make_client(P120)
    token = client.generate_token(ADMIN, Secret(CANARY_PASSWORD))

    found = client.validate_federated_servers(token)

    assert found.listed == 2
    assert [s.status for s in found.servers] == ["success", "failure"]
    assert all(s.admin_url and s.admin_url.startswith("https://") for s in found.servers)
    assert "is not accessible" in found.servers[1].messages[0]
