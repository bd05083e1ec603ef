"""Every PortalClient endpoint against the emulator over TLS (PORTAL_API.md sections 1-7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from portal_automation.domain.kinds import PORTAL
from portal_automation.domain.security_config import (
    PROPERTIES,
    diff,
    meaning,
    merge,
    mismatches,
    validate_desired,
)
from portal_automation.domain.shared_key import generate_shared_key
from portal_automation.domain.version import PortalVersion
from portal_automation.errors import (
    InvalidSharedKey,
    PortalAuthFailed,
    PortalRequestRejected,
    UnsupportedPortalVersion,
)
from portal_automation.portal import AdminSession, PortalClient, PortalToken
from portal_automation.sensitive import Secret
from portal_automation.workflow.portal_config import PortalConfig, post
from portal_local.emulator import (
    DEFAULT_VIEWER_PASSWORD,
    DEFAULT_VIEWER_USERNAME,
    PortalEmulator,
)
from portal_local.emulator.clock import ManualClock

from .support import (
    ADMIN,
    CANARY_PASSWORD,
    HANG_GUARD,
    LOCAL,
    P107,
    P109,
    P113,
    P114,
    P114_REJECT,
    P1071,
    RESTART_LAG_SECONDS,
    RESTART_SECONDS,
    Canary,
    fast_settings,
    paths,
    portal_settings,
    running,
    since,
)

pytestmark = pytest.mark.client

PASSWORD = Secret(CANARY_PASSWORD)
# Built at run time, so that no traceback line of this file shows them literally.
WRONG_PASSWORD = "-".join(("CANARY", "wrong", "pw", "0b1e"))
SHORT_KEY = "-".join(("CANARY", "short", "key"))


def _token(client: PortalClient) -> PortalToken:
    return client.generate_token(ADMIN, PASSWORD)


def _wait_for_restart(emu: PortalEmulator, context: str, restarts_before: int) -> None:
    portal = emu.portal(context)
    assert portal.wait_until(lambda p: p.restart_count > restarts_before, timeout=HANG_GUARD)
    assert portal.wait_until_up(timeout=HANG_GUARD)


# --- generateToken -----------------------------------------------------------------


def test_generate_token_referer_mode(emu: PortalEmulator, client: PortalClient) -> None:
    mark = len(emu.request_log)
    before = datetime.now(UTC)
    token = client.generate_token(ADMIN, PASSWORD, expiration_minutes=7)
    after = datetime.now(UTC)
    assert token.referer == client.referer == emu.url(P113)
    assert token.ssl is True
    assert before + timedelta(minutes=7) - timedelta(seconds=5) <= token.expires_at
    assert token.expires_at <= after + timedelta(minutes=7) + timedelta(seconds=5)
    assert not token.expires_within(60)
    assert CANARY_PASSWORD not in repr(token)
    assert token.value.reveal() not in repr(token)
    (record,) = paths(since(emu, mark), "sharing/rest/generateToken")
    assert record.method == "POST"
    assert {"username", "password", "client", "referer", "expiration", "f"} <= set(record.body_keys)
    assert record.query_keys == ()
    # The token works for an admin call made with the same Referer.
    assert client.info(token).version == PortalVersion.parse("11.3")


def test_referer_token_is_refused_under_another_referer(
    make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    issuer = make_client(P113)
    other = make_client(P113, referer="https://elsewhere.example.com/")
    token = _token(issuer)
    with canary.raises(PortalAuthFailed) as info:
        other.info(token)
    assert info.value.code == 498


def test_generate_token_ip_mode(emu: PortalEmulator, client: PortalClient, canary: Canary) -> None:
    mark = len(emu.request_log)
    token = client.generate_token(ADMIN, PASSWORD, client="ip", ip="127.0.0.1")
    assert token.referer is None
    assert client.info(token).build.startswith("11.3.0.")
    (record,) = paths(since(emu, mark), "sharing/rest/generateToken")
    assert "ip" in record.body_keys
    assert "referer" not in record.body_keys
    # Bound to another address: refused.
    elsewhere = client.generate_token(ADMIN, PASSWORD, client="ip", ip="10.9.8.7")
    with canary.raises(PortalAuthFailed) as info:
        client.info(elsewhere)
    assert info.value.code == 498


def test_generate_token_requestip_mode(client: PortalClient) -> None:
    token = client.generate_token(ADMIN, PASSWORD, client="requestip", expiration_minutes=1)
    assert token.referer is None
    assert token.expires_within(90)
    assert client.read_shared_key(token)


def test_ip_mode_needs_an_ip(emu: PortalEmulator, client: PortalClient) -> None:
    mark = len(emu.request_log)
    with pytest.raises(ValueError, match="ip"):
        client.generate_token(ADMIN, PASSWORD, client="ip")
    assert since(emu, mark) == []


@pytest.mark.parametrize("minutes", [0, -5, 525_601])
def test_expiration_out_of_range_is_refused_locally(
    emu: PortalEmulator, client: PortalClient, minutes: int
) -> None:
    mark = len(emu.request_log)
    with pytest.raises(ValueError, match="expiration"):
        client.generate_token(ADMIN, PASSWORD, expiration_minutes=minutes)
    assert since(emu, mark) == []


def test_expiration_maximum_is_accepted(client: PortalClient) -> None:
    token = client.generate_token(ADMIN, PASSWORD, expiration_minutes=525_600)
    assert token.expires_at > datetime.now(UTC) + timedelta(days=364)


def test_wrong_password_is_an_auth_failure(client: PortalClient, canary: Canary) -> None:
    with canary.raises(PortalAuthFailed) as info:
        client.generate_token(ADMIN, Secret(WRONG_PASSWORD))
    assert info.value.code == 400
    assert ADMIN in info.value.message


def test_viewer_token_is_not_authorised(client: PortalClient, canary: Canary) -> None:
    token = client.generate_token(DEFAULT_VIEWER_USERNAME, Secret(DEFAULT_VIEWER_PASSWORD))
    with canary.raises(PortalAuthFailed) as info:
        client.read_shared_key(token)
    assert info.value.code == 403


# --- info / version ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "version"),
    [(P113, "11.3"), (P114, "11.4"), (P1071, "10.7.1"), (P109, "10.9"), (P107, "10.7")],
)
def test_info_reports_the_version(
    make_client: Callable[..., PortalClient], context: str, version: str
) -> None:
    client = make_client(context)
    info = client.info(_token(client))
    assert info.version == PortalVersion.parse(version)
    assert info.build.startswith(".".join([*version.split("."), "0"][:3]))


def test_10_7_licenses_are_populated_again_after_a_key_change(
    make_client: Callable[..., PortalClient], emu: PortalEmulator
) -> None:
    """FAULTS rows 10, 34: 10.7 reports its licenses not populated after a key change
    until license/populateLicense runs; the client reads the flag and calls it."""
    client, portal = make_client(P107), emu.portal(P107)
    token = _token(client)
    info = client.info(token)
    PORTAL.require_supported(info.version)
    assert info.licenses_populated is True
    restarts = portal.restart_count
    client.update_shared_key(token, generate_shared_key())
    _wait_for_restart(emu, P107, restarts)
    token = _token(client)
    assert client.info(token).licenses_populated is False
    mark = len(emu.request_log)

    client.populate_license(token)

    (record,) = paths(since(emu, mark), "portaladmin/license/populateLicense")
    assert (record.method, record.status) == ("POST", 200)
    assert client.info(token).licenses_populated is True


def test_versions_before_10_7_are_refused(canary: Canary) -> None:
    with canary.raises(UnsupportedPortalVersion):
        PORTAL.require_supported(PortalVersion.parse("10.6.1"))


def test_10_7_1_is_supported(make_client: Callable[..., PortalClient]) -> None:
    client = make_client(P1071)
    PORTAL.require_supported(client.info(_token(client)).version)


# --- the shared key ----------------------------------------------------------------


def test_read_shared_key_equals_the_portal_state(emu: PortalEmulator, client: PortalClient) -> None:
    key = client.read_shared_key(_token(client))
    assert isinstance(key, Secret)
    assert key.reveal() == emu.portal(P113).stored_shared_key
    assert key.reveal() not in repr(key)


def test_update_shared_key_on_11_3(emu: PortalEmulator, client: PortalClient) -> None:
    portal = emu.portal(P113)
    updates, restarts = portal.update_count, portal.restart_count
    old_token = _token(client)
    new_key = generate_shared_key()
    accepted = client.update_shared_key(old_token, new_key)
    assert accepted.recheck_after_seconds == 10
    assert portal.update_count == updates + 1
    assert portal.stored_shared_key == new_key.reveal()
    _wait_for_restart(emu, P113, restarts)
    assert portal.shared_key == new_key.reveal()
    # A fresh token works and reads the new key back; the old token is dead (row 7).
    fresh = _token(client)
    assert client.read_shared_key(fresh) == new_key
    with pytest.raises(PortalAuthFailed) as info:
        client.read_shared_key(old_token)
    assert info.value.code == 498


def test_update_sends_token_config_in_the_body(emu: PortalEmulator, client: PortalClient) -> None:
    restarts = emu.portal(P113).restart_count
    token = _token(client)
    mark = len(emu.request_log)
    client.update_shared_key(token, generate_shared_key())
    (record,) = paths(since(emu, mark), "portaladmin/security/tokens/update")
    assert record.method == "POST"
    assert set(record.body_keys) == {"f", "token", "tokenConfig"}
    assert record.query_keys == ()
    _wait_for_restart(emu, P113, restarts)


def test_11_3_rejects_an_empty_key(
    emu: PortalEmulator, client: PortalClient, canary: Canary
) -> None:
    portal = emu.portal(P113)
    updates = portal.update_count
    with canary.raises(PortalRequestRejected) as info:
        client.update_shared_key(_token(client), None)
    assert info.value.code == 400
    assert portal.update_count == updates


@pytest.mark.parametrize(
    ("context", "supply_key"),
    [(P114, False), (P114, True), (P114_REJECT, False)],
    ids=["ignore-mode-no-key", "ignore-mode-with-key", "reject-mode-no-key"],
)
def test_11_4_generates_the_key_and_it_reads_back(
    emu: PortalEmulator,
    make_client: Callable[..., PortalClient],
    context: str,
    supply_key: bool,
) -> None:
    """FAULTS row 9: the generated key is read back and equals the portal's."""
    client = make_client(context)
    portal = emu.portal(context)
    before = portal.stored_shared_key
    restarts = portal.restart_count
    supplied = generate_shared_key() if supply_key else None
    client.update_shared_key(_token(client), supplied)
    _wait_for_restart(emu, context, restarts)
    read_back = client.read_shared_key(_token(client))
    assert read_back.reveal() == portal.shared_key == portal.stored_shared_key
    assert read_back.reveal() != before
    if supplied is not None:
        assert read_back != supplied  # generated, the supplied one ignored


def test_11_4_reject_mode_refuses_a_supplied_key(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    client = make_client(P114_REJECT)
    portal = emu.portal(P114_REJECT)
    before, updates = portal.stored_shared_key, portal.update_count
    with canary.raises(PortalRequestRejected) as info:
        client.update_shared_key(_token(client), generate_shared_key())
    assert info.value.code == 400
    assert "generated" in info.value.message
    assert portal.stored_shared_key == before
    assert portal.update_count == updates


def test_bad_key_on_11_4_is_still_refused_locally(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    client = make_client(P114)
    token = _token(client)
    mark = len(emu.request_log)
    with canary.raises(InvalidSharedKey):
        client.update_shared_key(token, Secret(SHORT_KEY))
    assert since(emu, mark) == []


# --- security configuration --------------------------------------------------------


def test_read_security_config_hides_unmanaged_values(
    emu: PortalEmulator, client: PortalClient, canary: Canary
) -> None:
    config = client.read_security_config(_token(client))
    trust_key = emu.portal(P113).security_config["webgisServerTrustKey"]
    assert config.values["webgisServerTrustKey"] == trust_key
    assert "userStoreConfig" in config.values
    text = canary.text(repr(config))
    assert "webgisServerTrustKey" not in text
    assert "disableServicesDirectory" in text
    assert set(config.managed()) <= set(PROPERTIES)


def test_merge_and_update_preserves_trust_key_and_unmanaged_keys(
    emu: PortalEmulator, session: AdminSession
) -> None:
    """FAULTS row 19 on the wire: the trust key survives merge + update + restart; from
    10.8 the default role and user type go to the user default settings."""
    portal, version = emu.portal(P113), PortalVersion.parse("11.3")
    before = portal.security_config
    assert before["webgisServerTrustKey"]
    desired = validate_desired(
        {
            "disableServicesDirectory": not before["disableServicesDirectory"],
            "allowedProxyHosts": "(.*).example.com,maps.example.org",
            "defaultRoleForUser": "account_publisher",
            "defaultUserTypeIdForUser": "GISProfessionalAdvUT",
            "allowInternetCORSAccess": False,
        },
        version,
    )
    current = PortalConfig.read(session, version, desired)
    assert diff(current.view(), desired)
    documents = current.updates(desired, version)
    assert set(documents) == {"userDefaultSettings", "securityConfig"}
    restarts = portal.restart_count
    post(session, documents)
    _wait_for_restart(emu, P113, restarts)
    after = PortalConfig.read(session, version, desired)
    assert mismatches(after.view(), desired) == []
    assert after.security.values["webgisServerTrustKey"] == before["webgisServerTrustKey"]
    for key in ("userStoreConfig", "groupStoreConfig", "defaultIDPUsernameSuffix"):
        assert portal.security_config[key] == before[key]
    assert portal.user_default_settings is not None
    assert portal.user_default_settings["role"] == "account_publisher"
    assert portal.user_default_settings["userLicenseType"] == "GISProfessionalAdvUT"


def test_update_posts_the_whole_config(emu: PortalEmulator, client: PortalClient) -> None:
    """The update replaces: posting only the desired properties would lose the rest."""
    portal = emu.portal(P113)
    token = _token(client)
    current = client.read_security_config(token).values
    merged = merge(current, {"enableAutomaticAccountCreation": True})
    mark, restarts = len(emu.request_log), portal.restart_count
    client.update_security_config(token, merged)
    (record,) = paths(since(emu, mark), "portaladmin/security/config/update")
    assert set(record.body_keys) == {"f", "token", "securityConfig"}
    stored = portal.security_config
    assert stored["enableAutomaticAccountCreation"] is True
    assert {k: meaning(k, v) for k, v in merged.items()} == {
        k: meaning(k, v) for k, v in stored.items()
    }
    _wait_for_restart(emu, P113, restarts)


def test_nothing_to_do_when_desired_equals_current(
    emu: PortalEmulator, session: AdminSession
) -> None:
    """FAULTS rows 20, 29: equal by meaning (the portal answers "false") is no change."""
    portal, version = emu.portal(P113), PortalVersion.parse("11.3")
    desired = validate_desired(
        {
            "disableServicesDirectory": portal.security_config["disableServicesDirectory"],
            "defaultRoleForUser": portal.user_default_settings["role"],
        }
    )
    current = PortalConfig.read(session, version, desired)
    assert current.security.values["disableServicesDirectory"] in ("true", "false")
    updates, restarts = portal.update_count, portal.restart_count
    assert diff(current.view(), desired) == []
    assert current.updates(desired, version) == {}
    assert portal.update_count == updates
    assert portal.restart_count == restarts


def test_update_rejected_by_the_portal(
    emu: PortalEmulator, session: AdminSession, client: PortalClient, canary: Canary
) -> None:
    """A custom role id the portal does not know passes local validation; the portal says
    no (from 10.8, in the user default settings), and nothing changes."""
    portal, version = emu.portal(P113), PortalVersion.parse("11.3")
    desired = validate_desired({"defaultRoleForUser": "cRoleUnknown0001"})
    documents = PortalConfig.read(session, version, desired).updates(desired, version)
    assert set(documents) == {"userDefaultSettings"}
    before = portal.user_default_settings
    with canary.raises(PortalRequestRejected) as info:
        post(session, documents)
    assert info.value.code == 400
    assert "role" in info.value.message
    assert portal.user_default_settings == before


def test_below_10_8_the_default_role_stays_in_the_config(
    emu: PortalEmulator, make_client: Any, canary: Canary
) -> None:
    portal, version = emu.portal(P1071), PortalVersion.parse("10.7.1")
    session = AdminSession(make_client(P1071), ADMIN, Secret(CANARY_PASSWORD))
    desired = validate_desired({"defaultRoleForUser": "cRoleUnknown0001"})
    current = PortalConfig.read(session, version, desired)
    assert current.user_defaults is None
    documents = current.updates(desired, version)
    assert set(documents) == {"securityConfig"}
    updates = portal.update_count
    with canary.raises(PortalRequestRejected) as info:
        post(session, documents)
    assert "defaultRoleForUser" in info.value.message
    assert portal.update_count == updates


# --- health ------------------------------------------------------------------------


def test_health_up_during_restart_and_after(canary: Canary) -> None:
    """FAULTS rows 4 and 6: lag (still healthy), down (HTML 503: not ready), up again."""
    clock = ManualClock()  # each phase lasts until the test moves on
    with running(portal_settings("11.3", P113), clock=clock) as emu:
        client = PortalClient(emu.url(P113), settings=fast_settings(emu), policy=LOCAL)
        portal = emu.portal(P113)
        assert client.health().ready
        client.update_shared_key(_token(client), generate_shared_key())
        assert portal.phase == "lag"
        assert client.health().ready  # the old process still answers for a moment
        clock.advance(RESTART_LAG_SECONDS)
        assert portal.is_restarting
        mark = len(emu.request_log)
        status = client.health()
        assert not status.ready
        assert canary.text(status.detail) == "HTTP 503"
        (record,) = paths(since(emu, mark), "portaladmin/healthCheck")
        assert record.status == 503
        assert record.method == "GET"
        assert record.query_keys == ("f",)
        clock.advance(RESTART_SECONDS)
        assert (portal.restart_count, portal.phase) == (1, "up")
        assert client.health().ready
        client.close()


def test_health_is_anonymous(emu: PortalEmulator, client: PortalClient) -> None:
    mark = len(emu.request_log)
    assert client.health().ready
    (record,) = since(emu, mark)
    assert "token" not in record.body_keys
    assert record.body_keys == ()
