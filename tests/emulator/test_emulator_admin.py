"""Portal Admin root, health check, license, formats, unknown paths (PORTAL_API.md 4, 7)."""

from __future__ import annotations

import pytest
from portal_local.emulator import SUPPORTED_VERSIONS, PortalEmulator, PortalSettings

from .helpers import HANG_GUARD, RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator

EXPECTED_VERSIONS = (
    "10.7", "10.7.1", "10.8", "10.8.1", "10.9", "10.9.1",
    "11.0", "11.1", "11.2", "11.3", "11.4", "11.5", "12.0", "12.1", "12.2",
)  # fmt: skip


def test_every_version_is_supported() -> None:
    assert SUPPORTED_VERSIONS == EXPECTED_VERSIONS


def test_admin_root_reports_version_and_build_for_every_version(
    start_emulator: StartEmulator,
) -> None:
    emu = start_emulator(
        *(fast(version=v, context=f"p{i}") for i, v in enumerate(EXPECTED_VERSIONS))
    )
    for i, version in enumerate(EXPECTED_VERSIONS):
        raw = RawPortal(emu, f"p{i}")
        for method in ("GET", "POST"):
            token = raw.token()
            if method == "GET":
                body = raw.get_admin("portaladmin", token, f="json").json()
            else:
                body = raw.admin("portaladmin", token)
            full = version if version.count(".") == 2 else f"{version}.0"
            assert body["version"] == full
            assert body["currentbuild"].startswith(f"{full}.")
            assert tuple(int(p) for p in body["version"].split(".")) >= (10, 7, 0)


def test_unsupported_version_is_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported portal version"):
        PortalSettings(version="10.6")


def test_health_check_is_anonymous(raw: RawPortal) -> None:
    response = raw.health()
    assert response.status_code == 200
    assert response.json() == {"status": "success"}
    assert response.headers["Content-Type"].startswith("application/json")


def test_pjson_and_html_formats(raw: RawPortal) -> None:
    pretty = raw.get("portaladmin/healthCheck", f="pjson")
    assert pretty.json() == {"status": "success"}
    assert "\n" in pretty.text
    page = raw.get("portaladmin/healthCheck", f="html")
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.text.lstrip().startswith("<!DOCTYPE html>")


def test_default_format_is_html(raw: RawPortal) -> None:
    token = raw.token()
    response = raw.post("portaladmin", token=token)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")


def test_unknown_paths(raw: RawPortal, emu: PortalEmulator) -> None:
    unknown_admin = raw.get("portaladmin/nothing/here", f="json")
    assert unknown_admin.status_code == 200
    assert unknown_admin.json()["error"]["code"] == 404
    page = raw.get("no/such/page")
    assert page.status_code == 404
    assert "<html>" in page.text
    outside = raw.session.get(f"{emu.base_url}/elsewhere", verify=raw.verify, timeout=5)
    assert outside.status_code == 404
    assert emu.request_log[-1].context is None


def test_security_root_lists_resources(raw: RawPortal) -> None:
    body = raw.admin("portaladmin/security", raw.token())
    assert {"tokens", "config"} <= set(body["resources"])


POPULATE = "portaladmin/license/populateLicense"


def test_populate_license(start_emulator: StartEmulator) -> None:
    """PORTAL_API.md 7b, FAULTS row 34: 10.7 after a key change, as Esri's DSC checks it."""
    raw = RawPortal(start_emulator(fast(version="10.7")))
    token = raw.token()
    assert raw.get_admin("portaladmin", token, f="json").json()["isLicensePopulated"] is True
    assert raw.update_key(token, "k" * 32)["status"] == "success"
    assert raw.portal.licenses_need_populate
    assert raw.portal.wait_until_up(HANG_GUARD)
    token = raw.token()
    # DSC reads the flag with a GET, the token in the query string.
    assert raw.get_admin("portaladmin", token, f="json").json()["isLicensePopulated"] is False
    # POST only, administrators only: neither a GET nor a viewer changes the flag.
    assert raw.get_admin(POPULATE, token, f="json").json()["error"]["code"] == 405
    assert raw.admin(POPULATE, raw.viewer_token())["error"]["code"] == 403
    assert raw.admin(POPULATE, "not-a-token")["error"]["code"] == 498
    assert raw.admin("portaladmin", token)["isLicensePopulated"] is False
    assert raw.portal.populate_license_count == 0
    assert raw.admin(POPULATE, token) == {"status": "success"}
    assert not raw.portal.licenses_need_populate
    assert raw.admin("portaladmin", token)["isLicensePopulated"] is True
    assert raw.portal.populate_license_count == 1
    assert raw.portal.summary()["populate_license_count"] == 1
    assert raw.portal.restart_count == 1  # populating does not restart


def test_10_7_config_change_keeps_licenses_populated(start_emulator: StartEmulator) -> None:
    raw = RawPortal(start_emulator(fast(version="10.7")))
    token = raw.token()
    raw.update_config(token, raw.admin("portaladmin/security/config", token))
    assert raw.portal.wait_until_up(HANG_GUARD)
    assert raw.admin("portaladmin", raw.token())["isLicensePopulated"] is True


def test_populate_license_needs_an_admin(raw: RawPortal) -> None:
    body = raw.admin(POPULATE, raw.viewer_token())
    assert body["error"]["code"] == 403
    assert raw.portal.populate_license_count == 0


@pytest.mark.parametrize("version", ["10.7.1", "10.8", "11.3"])
def test_key_change_does_not_need_populate_after_10_7(
    start_emulator: StartEmulator, version: str
) -> None:
    raw = RawPortal(start_emulator(fast(version=version)))
    raw.update_key(raw.token(), "k" * 32)
    assert raw.portal.wait_until_up(HANG_GUARD)
    assert not raw.portal.licenses_need_populate
    assert raw.admin("portaladmin", raw.token())["isLicensePopulated"] is True


def test_update_operations_are_post_only(raw: RawPortal) -> None:
    token = raw.token()
    for path in ("portaladmin/security/tokens/update", "portaladmin/security/config/update"):
        body = raw.get_admin(path, token, f="json").json()
        assert body["error"]["code"] == 405
    assert raw.portal.update_count == 0


def test_multipart_bodies_are_read(raw: RawPortal) -> None:
    token = raw.token()
    response = raw.session.post(
        f"{raw.url}/portaladmin",
        files={"token": (None, token), "f": (None, "json")},
        headers={"Referer": "https://automation.example.com"},
        verify=raw.verify,
        timeout=5,
    )
    assert response.json()["version"] == "11.3.0"
