"""Portals 11.4 to 12.x (issue 20; FAULTS rows 53-56), through the state machine against
the emulator modelling each fact of ARCGIS_FACTS_12X.md: Esri's default proxy hosts,
the nested Content-Security-Policy, user types read from the portal, a slow config
update, what a rotation invalidates, the federated servers' validation, how the token
travels, and a portal newer than the product knows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from portal_local.emulator import Fault
from portal_local.emulator.security_config import ESRI_PROXY_HOSTS

from .conftest import (
    CHANGE_TIMEOUT,
    CSP,
    TIMING,
    Workflow,
    histories,
    notification_for,
    portal_result,
    run_id,
)
from .test_triggers import audit_queue

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

CONFIG_UPDATE = "portaladmin/security/config/update"
USER_DEFAULTS = "sharing/rest/portals/self/userDefaultSettings"
VALIDATE = "portaladmin/federation/servers/validate"


def hosts(value: str) -> list[str]:
    return [h for h in value.split(",") if h]


def full_report(workflow: Workflow, result: Any, arn: str) -> dict[str, Any]:
    """The portal's whole report in the work bucket (the summary shortens long values)."""
    assert result.summary is not None
    body = workflow.aws.client("s3").get_object(
        Bucket=workflow.aws.outputs["WorkBucketName"], Key=result.summary["report"]
    )["Body"]
    (portal,) = [p for p in json.loads(body.read())["portals"] if p["secretArn"] == arn]
    return dict(portal)


def sent(workflow: Workflow, context: str, path: str) -> int:
    return sum(r.path.endswith("/" + path) for r in workflow.emulator.requests_for(context))


# --- row 53: Esri's default proxy hosts on 12.0+ -------------------------------------


def test_on_12_0_a_desired_host_list_keeps_esris_hosts_and_reports_no_drift(
    workflow: Workflow,
) -> None:
    portal = workflow.emulator.portal("proxy120")
    assert hosts(portal.security_config["allowedProxyHosts"]) == list(ESRI_PROXY_HOSTS)
    arn = workflow.secret_for("proxy120")
    desired = {"allowedProxyHosts": "maps.example.com,(.*).arcgis.com"}

    applied = workflow.apply(desired, arn)
    drift = workflow.apply(desired, arn, dryRun=True)

    report = portal_result(applied, arn)
    assert report["status"] == "verified", report
    assert hosts(portal.security_config["allowedProxyHosts"]) == [
        "maps.example.com",
        *ESRI_PROXY_HOSTS,
    ]
    (change,) = full_report(workflow, applied, arn)["changes"]
    assert hosts(change["desired"]) == ["maps.example.com", *ESRI_PROXY_HOSTS]
    (note,) = [n for n in report["notes"] if "proxy" in n]
    assert "gisupdates.esri.com" in note
    assert "(.*).arcgis.com" not in note.split("kept")[1].split(":", 1)[1].split(";")[0]
    assert "12.0" in note
    assert "proxyHostsMode" in note
    after = portal_result(drift, arn)
    assert (after["status"], after["changes"]) == ("no-change", [])
    assert portal.update_count == 1


def test_exact_mode_sets_exactly_the_list_and_warns_of_the_esri_hosts_dropped(
    workflow: Workflow,
) -> None:
    portal = workflow.emulator.portal("proxyexact")
    arn = workflow.secret_for("proxyexact")

    result = workflow.apply(
        {"allowedProxyHosts": "maps.example.com,gisupdates.esri.com"},
        arn,
        proxyHostsMode="exact",
    )

    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    assert portal.security_config["allowedProxyHosts"] == "maps.example.com,gisupdates.esri.com"
    (warning,) = [n for n in report["notes"] if "proxy" in n]
    assert "(.*).arcgisonline.com" in warning
    assert "gisupdates.esri.com" not in warning
    assert "basemaps" in warning


def test_an_empty_list_on_12_0_is_refused_unless_exact(workflow: Workflow) -> None:
    portal = workflow.emulator.portal("proxyempty")
    arn = workflow.secret_for("proxyempty")

    refused = workflow.apply({"allowedProxyHosts": ""}, arn)
    exact = workflow.apply({"allowedProxyHosts": ""}, arn, proxyHostsMode="exact")

    report = portal_result(refused, arn)
    assert report["error"]["name"] == "InvalidSecurityConfig"
    assert "empty" in report["error"]["message"]
    assert "proxyHostsMode" in report["error"]["message"]
    assert portal_result(exact, arn)["status"] == "verified"
    assert portal.security_config["allowedProxyHosts"] == ""
    assert portal.update_count == 1  # the exact run's update only


def test_an_exact_empty_list_a_portal_fills_with_esris_hosts_is_rolled_back(
    workflow: Workflow,
) -> None:
    """What an empty list means on 12.0 is unknown: a portal that puts Esri's hosts back
    reads back differently, and the change is rolled back and reported."""
    portal = workflow.emulator.portal("proxyemptydef")
    before = portal.security_config
    arn = workflow.secret_for("proxyemptydef")

    result = workflow.apply({"allowedProxyHosts": ""}, arn, proxyHostsMode="exact")

    report = portal_result(result, arn)
    assert report["status"] == "rolled-back", report
    assert report["mismatched"] == ["allowedProxyHosts"]
    assert portal.security_config == before


def test_below_12_0_the_list_is_exactly_what_was_asked(workflow: Workflow) -> None:
    portal = workflow.emulator.portal("proxy115")
    arn = workflow.secret_for("proxy115")

    result = workflow.apply({"allowedProxyHosts": "maps.example.com"}, arn)

    assert portal_result(result, arn)["status"] == "verified"
    assert portal.security_config["allowedProxyHosts"] == "maps.example.com"
    assert not [n for n in portal_result(result, arn).get("notes", []) if "proxy" in n]


# --- row 54: what the product does not manage survives, at any depth -------------------


def test_a_config_change_posts_the_nested_csp_and_everything_unmanaged_back_unchanged(
    workflow: Workflow,
) -> None:
    portal = workflow.emulator.portal("csp120")
    before = portal.security_config
    assert before["contentSecurityPolicy"] == CSP
    assert before["userStoreConfig"]["type"] == "LDAP"
    arn = workflow.secret_for("csp120")

    result = workflow.apply({"disableServicesDirectory": True}, arn)

    assert portal_result(result, arn)["status"] == "verified"
    after = portal.security_config
    assert after == {**before, "disableServicesDirectory": True}
    assert portal.update_count == 1


# --- row 55: user types as the portal knows them ----------------------------------------


def test_a_retired_user_type_is_refused_before_any_change_naming_the_valid_ones(
    workflow: Workflow,
) -> None:
    portal = workflow.emulator.portal("ut114")
    arn = workflow.secret_for("ut114")

    result = workflow.apply({"defaultUserTypeIdForUser": "GISProfessionalBasicUT"}, arn)

    error = portal_result(result, arn)["error"]
    assert error["name"] == "InvalidSecurityConfig"
    assert "retired" in error["message"]
    for valid in ("creatorUT", "GISProfessionalStdUT", "viewerUT"):
        assert valid in error["message"]
    assert (portal.update_count, portal.user_defaults_update_count) == (0, 0)
    assert sent(workflow, "ut114", "portaladmin/license") == 1


def test_the_portals_own_user_types_are_the_valid_ones(workflow: Workflow) -> None:
    """A 12.0 portal whose license lists new IDs: one of them is applied; a type the
    portal does not list is refused with the portal's list."""
    portal = workflow.emulator.portal("ut120r")
    arn = workflow.secret_for("ut120r")

    unknown = workflow.apply({"defaultUserTypeIdForUser": "GISProfessionalStdUT"}, arn)
    applied = workflow.apply(
        {"defaultRoleForUser": "account_publisher", "defaultUserTypeIdForUser": "professionalUT"},
        arn,
    )

    error = portal_result(unknown, arn)["error"]
    assert error["name"] == "InvalidSecurityConfig"
    assert "professionalUT" in error["message"]
    assert "contributorUT" in error["message"]
    assert portal_result(applied, arn)["status"] == "verified"
    defaults = portal.user_default_settings
    assert defaults is not None
    assert (defaults["role"], defaults["userLicenseType"]) == (
        "account_publisher",
        "professionalUT",
    )
    assert portal.user_defaults_update_count == 1


def test_below_11_4_the_known_list_stays(workflow: Workflow) -> None:
    portal = workflow.emulator.portal("ut113")
    arn = workflow.secret_for("ut113")

    result = workflow.apply({"defaultUserTypeIdForUser": "viewerUT"}, arn)

    error = portal_result(result, arn)["error"]
    assert error["name"] == "InvalidSecurityConfig"
    assert "creatorUT" in error["message"]
    assert portal.user_defaults_update_count == 0
    assert sent(workflow, "ut113", "portaladmin/license") == 0


def test_the_user_default_settings_are_read_only_when_managed(workflow: Workflow) -> None:
    arn = workflow.secret_for("udread120")

    result = workflow.apply({"disableServicesDirectory": True}, arn)

    assert portal_result(result, arn)["status"] == "verified"
    assert sent(workflow, "udread120", USER_DEFAULTS) == 0
    assert sent(workflow, "udread120", "portaladmin/license") == 0


# --- row 56: a slow config update is not a failure ------------------------------------


def _slow(seconds: float, context: str) -> list[Fault]:
    return [Fault(action="delay", seconds=seconds, context=context, path=CONFIG_UPDATE, times=1)]


# Generous bounds, so that a loaded machine does not end a wait the fault does not call
# for; only "slowcfgnot" has to reach its bound (20 s), to send the update again.
SLOW_PATHS: dict[str, tuple[str, list[Fault], int, int]] = {
    # context -> (what happens, faults on config/update, attempts expected,
    # maxRestartSeconds)
    # Longer than the read timeout plus settleSeconds: Verify reads back before it lands.
    "slowcfgto": ("blocks past the read timeout, then applies", _slow(12.0, "slowcfgto"), 1, 60),
    "slowcfg504": (
        "applies, and a Web Adaptor answers 504",
        [
            Fault(
                action="lost_answer", status=504, context="slowcfg504", path=CONFIG_UPDATE, times=1
            )
        ],
        1,
        60,
    ),
    "slowcfgreset": (
        "applies, and the connection is reset",
        [
            Fault(
                action="lost_answer", status=0, context="slowcfgreset", path=CONFIG_UPDATE, times=1
            )
        ],
        1,
        60,
    ),
    "slowcfgnot": (
        "blocks, then fails without applying",
        [
            *_slow(3.0, "slowcfgnot"),
            Fault(action="reset", context="slowcfgnot", path=CONFIG_UPDATE, times=1),
        ],
        2,
        20,
    ),
}


@pytest.mark.parametrize("context", list(SLOW_PATHS))
def test_a_config_update_without_an_answer_is_verified_by_read_back_never_rejected(
    workflow: Workflow, context: str
) -> None:
    """Whatever error a cut-off update raises (a read timeout, a reset, a 504, a call
    deadline), its outcome is unknown: the read-back decides; one update lands."""
    _, faults, attempts, max_restart = SLOW_PATHS[context]
    for fault in faults:
        workflow.emulator.faults.add(fault)
    portal = workflow.emulator.portal(context)
    arn = workflow.secret_for(context)

    result = workflow.apply(
        {"disableServicesDirectory": True},
        arn,
        timing={**TIMING, "maxRestartSeconds": max_restart},
    )

    report = portal_result(result, arn)
    assert report["status"] == "verified", (report, result.states)
    assert report["attempts"] == attempts
    assert "RecordFailure" not in result.states
    assert "RollbackConfig" not in result.states
    assert workflow.emulator.wait_until_answered(), "a config update is still held"
    assert portal.security_config["disableServicesDirectory"] is True
    assert portal.update_count == 1


def test_a_change_task_that_dies_while_the_update_blocks_is_verified_by_read_back(
    workflow: Workflow,
) -> None:
    """The change task's Lambda runs out of time while config/update blocks; the update
    lands later. ChangeOutcomeUnknown, then the read-back: one update, verified."""
    portal = workflow.emulator.portal("slowcfglambda")
    longer = {"PORTAL_AUTOMATION_READ_TIMEOUT_SECONDS": str(CHANGE_TIMEOUT * 5)}
    for fault in _slow(CHANGE_TIMEOUT + 8.0, "slowcfglambda"):
        workflow.emulator.faults.add(fault)
    arn = workflow.secret_for("slowcfglambda")
    with workflow.aws.redeployed({"ApplyChangeFunctionArn": longer}):
        result = workflow.apply(
            {"disableServicesDirectory": True}, arn, timing={**TIMING, "maxRestartSeconds": 60}
        )

    report = portal_result(result, arn)
    assert "ChangeOutcomeUnknown" in result.states, result.states
    assert report["status"] == "verified", (report, result.states)
    assert workflow.emulator.wait_until_answered(), "a config update is still held"
    assert portal.update_count == 1


# --- items 5, 6, 7: a rotation on 12.0 ----------------------------------------------------


def test_a_12_0_rotation_says_what_it_invalidated_and_validates_the_federated_servers(
    workflow: Workflow,
) -> None:
    portal = workflow.emulator.portal("fed120")
    arn = workflow.secret_for("fed120")
    queue = audit_queue(workflow)

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
    (note,) = [n for n in report["notes"] if "invalidated" in n]
    assert "12.0" in note
    assert "API keys" in note
    assert "long-lived tokens" in note
    servers = report["verification"]["federatedServers"]["servers"]
    assert [s["status"] for s in servers] == ["success", "failure"]
    assert servers[1]["adminUrl"].startswith("https://gisserver2.")
    (warning,) = report["warnings"]
    assert warning["name"] == "FederationValidationFailed"
    assert servers[1]["serverId"] in warning["message"]
    assert sent(workflow, "fed120", VALIDATE) == 1
    body = notification_for(workflow, run_id(result))["body"]
    assert any("invalidated" in n and "12.0" in n for n in body["notes"])
    assert body["warnings"] == 1
    listed = [p for p in body["portals"] if p["secretArn"] == arn]
    assert listed[0]["warnings"] == report["warnings"]
    sqs = workflow.aws.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    audit = {
        json.loads(m["Body"])["detail-type"]: json.loads(m["Body"])["detail"] for m in messages
    }
    rotated = audit["Shared Key Rotated"]
    assert rotated["verification"]["federatedServers"]["servers"] == servers
    assert rotated["warnings"] == report["warnings"]


def test_the_federation_check_runs_once_even_when_verify_runs_again(workflow: Workflow) -> None:
    """10.7: the licenses are populated after the federation check; a transient failure
    there makes the state machine run Verify again, which does not validate again."""
    portal = workflow.emulator.portal("fed107")
    workflow.emulator.faults.add(
        Fault(
            action="http",
            status=503,
            context="fed107",
            path="portaladmin/license/populateLicense",
            times=1,
        )
    )
    arn = workflow.secret_for("fed107")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", (report, result.states)
    assert report["verification"]["licensesPopulated"] == "populated"
    assert report["verification"]["federatedServers"]["servers"][0]["status"] == "success"
    verify_runs = [
        e
        for e in histories(workflow, result)
        if e["type"] == "LambdaFunctionScheduled"
        and "Verify" in e["lambdaFunctionScheduledEventDetails"]["resource"]
    ]
    assert len(verify_runs) >= 2
    assert sent(workflow, "fed107", VALIDATE) == 1
    assert portal.populate_license_count == 1


@pytest.mark.parametrize(("context", "header"), [("tok113", False), ("tok120", True)])
def test_the_token_travels_as_each_version_takes_it(
    workflow: Workflow, context: str, header: bool
) -> None:
    """PORTAL_API.md 2: the token in the POST body on every version, also in an
    Authorization: Bearer header from 11.4 (as Esri's arcgis-gitops sends it), a Referer on
    every request, never a token in a URL."""
    arn = workflow.secret_for(context)

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report.get("error")
    records = workflow.emulator.requests_for(context)
    assert records
    for record in records:
        assert "token" not in record.query_keys, record
        assert "referer" in record.header_names, record
    admin = [r for r in records if "token" in r.body_keys]
    assert admin
    with_header = [r for r in admin if "authorization" in r.header_names]
    if header:
        # Every call after the version is known: all but Preflight's first read.
        assert len(with_header) >= len(admin) - 2, [r.path for r in admin if r not in with_header]
        assert "/tok120/portaladmin/security/tokens/update" in {r.path for r in with_header}
    else:
        assert with_header == []


# --- item 8: a version past today's --------------------------------------------------------


def test_a_portal_newer_than_the_product_knows_gets_the_newest_rules_and_says_so(
    workflow: Workflow,
) -> None:
    portal = workflow.emulator.portal("future122")
    arn = workflow.secret_for("future122")

    rotated = workflow.rotate(arn)
    applied = workflow.apply({"allowedProxyHosts": "maps.example.com"}, arn)

    report = portal_result(rotated, arn)
    assert report["status"] == "verified", report
    assert report["keyMode"] == "generated"
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
    (note,) = [n for n in report["notes"] if "newer" in n]
    assert "12.2" in note
    assert "12.1" in note
    assert portal_result(applied, arn)["status"] == "verified"
    assert hosts(portal.security_config["allowedProxyHosts"]) == [
        "maps.example.com",
        *ESRI_PROXY_HOSTS,
    ]
