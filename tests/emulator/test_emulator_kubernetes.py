"""ArcGIS Enterprise on Kubernetes: no portaladmin, an admin root with a version
(PORTAL_API.md 7c), so that the product can be tested to refuse it."""

from __future__ import annotations

import pytest
from portal_local.emulator import PortalSettings

from .helpers import RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator


@pytest.fixture
def k8s(start_emulator: StartEmulator) -> RawPortal:
    return RawPortal(start_emulator(fast(flavour="kubernetes", version="11.3")))


def test_admin_root_answers_its_version(k8s: RawPortal) -> None:
    token = k8s.token()  # the sharing API issues tokens as usual
    body = k8s.admin("admin", token)
    assert body["fullVersion"] == "11.3.0"
    assert body["currentVersion"] == "11.3"
    assert "security" in body["resources"]
    assert k8s.get_admin("admin", token, f="json").json() == body
    assert k8s.admin("admin", k8s.viewer_token())["error"]["code"] == 403
    assert k8s.admin("admin", "not-a-token")["error"]["code"] == 498


@pytest.mark.parametrize(
    "path",
    [
        "portaladmin",
        "portaladmin/healthCheck",
        "portaladmin/security/tokens",
        "portaladmin/security/tokens/update",
        "portaladmin/security/config",
    ],
)
def test_there_is_no_portaladmin(k8s: RawPortal, path: str) -> None:
    response = k8s.post(path, token=k8s.token(), f="json", tokenConfig="{}")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert k8s.portal.update_count == 0


def test_no_security_tokens_under_admin_either(k8s: RawPortal) -> None:
    body = k8s.admin("admin/security/tokens", k8s.token())
    assert body["error"]["code"] == 404
    assert k8s.emu.request_log[-1].status == 200  # the JSON error comes with HTTP 200


def test_enterprise_has_no_admin_root(raw: RawPortal) -> None:
    response = raw.post("admin", token=raw.token(), f="json")
    assert response.status_code == 404


def test_kubernetes_starts_at_10_9() -> None:
    with pytest.raises(ValueError, match="Kubernetes"):
        PortalSettings(flavour="kubernetes", version="10.8.1")
    with pytest.raises(ValueError, match="flavour"):
        PortalSettings(flavour="docker")  # type: ignore[arg-type]
