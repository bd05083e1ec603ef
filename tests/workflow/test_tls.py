"""FAULTS row 23 through the workflow: a portal whose certificate does not verify is a
named, clear failure; verification is never turned off, and nothing is sent to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_local.deployment import PortalLogin
from portal_local.emulator import PortalEmulator, PortalSettings

from .conftest import CANARY_PASSWORD, Workflow, portal_result

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
VARIANTS = {
    "expired": "certificate has expired",
    "wrong-host": "address mismatch",
    "self-signed": "self-signed certificate",
}


@pytest.fixture
def bad_portals(workflow: Workflow) -> Iterator[dict[str, PortalEmulator]]:
    servers = {
        variant: PortalEmulator(
            PortalSettings(
                context=f"tls-{variant}",
                admin_password=CANARY_PASSWORD,
                tls=True,
                tls_variant=variant,  # type: ignore[arg-type]
            )
        ).start()
        for variant in VARIANTS
    }
    # The deployment trusts one CA bundle file; add these servers' CAs to it, so that
    # only the defect under test (expiry, host name) fails, not the issuer.
    bundle = Path(workflow.emulator.ca_bundle or "")
    original = bundle.read_text()
    extra = [Path(s.ca_bundle).read_text() for s in servers.values() if s.ca_bundle]
    bundle.write_text(original + "".join(extra))
    try:
        yield servers
    finally:
        bundle.write_text(original)
        for server in servers.values():
            server.stop()


def test_certificates_that_do_not_verify_fail_closed(
    workflow: Workflow, bad_portals: dict[str, PortalEmulator]
) -> None:
    arns = {
        variant: workflow.aws.create_portal_secret(
            f"{workflow.test_name}-{variant}",
            PortalLogin(server.url(), "portaladmin", CANARY_PASSWORD),
        )
        for variant, server in bad_portals.items()
    }

    result = workflow.rotate(*arns.values())

    for variant, arn in arns.items():
        report = portal_result(result, arn)
        assert report["status"] == "failed"
        assert report["error"]["name"] == "PortalTlsError", report
        assert VARIANTS[variant] in report["error"]["message"]
        assert "never disabled" in report["error"]["message"]
        assert bad_portals[variant].request_log == []  # no HTTP request got through
