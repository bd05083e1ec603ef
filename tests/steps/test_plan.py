"""PlanExecution: every problem named before any portal is contacted; one item per portal."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.errors import InvalidExecutionInput
from portal_automation.settings import PlanExecutionSettings
from portal_automation.workflow.plan import Planner, plan_execution

from tests.fakes.ledger import FakeLedger
from tests.fakes.secrets import FakeSecrets
from tests.fakes.work_store import FakeWorkStore

PREFIX = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal-admin/"
ARN = PREFIX + "gis-AbCdEf"
OTHER = PREFIX + "gis2-AbCdEf"
VALUE = {"url": "https://gis.example.com/portal", "username": "u", "password": "pw-123456"}
OUTSIDE = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/x-AbCdEf"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:portal-security:run-42"
SETTINGS = PlanExecutionSettings(
    secret_arn_prefix=PREFIX, max_restart_seconds=900, runs_table="runs", work_bucket="work"
)


@pytest.fixture
def secrets() -> FakeSecrets:
    fake = FakeSecrets()
    fake.create("portal-admin/gis", VALUE, arn=ARN)
    fake.create("portal-admin/gis2", VALUE, arn=OTHER)
    return fake


def plan(
    raw: Any,
    execution: str = EXECUTION,
    secrets: FakeSecrets | None = None,
    work: FakeWorkStore | None = None,
    ledger: FakeLedger | None = None,
) -> dict[str, Any]:
    """The plan, with the manifest's items under "items" (as the Map reads them)."""
    if secrets is None:
        secrets = FakeSecrets()
        secrets.create("portal-admin/gis", VALUE, arn=ARN)
        secrets.create("portal-admin/gis2", VALUE, arn=OTHER)
    work, ledger = work or FakeWorkStore(), ledger or FakeLedger()
    planned = plan_execution(raw, execution, Planner(SETTINGS, secrets, ledger, work))
    return {**planned, "items": work.get_json(planned["manifest"]["Key"])}


def test_items_carry_the_run_and_a_stable_version_per_portal() -> None:
    raw = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": ARN, "label": "a"}, {"secretArn": OTHER}],
    }

    first, again = plan(raw), plan(raw)

    assert first["runId"] == "run-42"
    assert [i["secretArn"] for i in first["items"]] == [ARN, OTHER]
    assert first["items"][0]["label"] == "a"
    versions = [i["versionId"] for i in first["items"]]
    assert len(set(versions)) == 2
    assert versions == [i["versionId"] for i in again["items"]]
    assert plan(raw, EXECUTION + "x")["items"][0]["versionId"] != versions[0]


def test_a_rotation_token_is_the_version() -> None:
    token = "4b2f5a9c-0e1d-4c3b-9a8f-7e6d5c4b3a21"
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}], "rotationToken": token}

    assert plan(raw)["items"][0]["versionId"] == token


def test_the_deployment_bound_caps_an_unset_restart_bound() -> None:
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}]}

    assert plan(raw)["items"][0]["timing"]["maxRestartSeconds"] == 900


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"action": "rotate", "portals": [{"secretArn": ARN}]}, "action"),
        ({"action": "rotate-shared-key", "portals": []}, "portals"),
        ({"action": "rotate-shared-key", "portals": [{"secretArn": "gis"}]}, "secretArn"),
        (
            {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}], "extra": 1},
            "unknown field",
        ),
        ({"action": "rotate-shared-key", "portals": [{"secretArn": ARN}] * 2}, "more than once"),
        (
            {"action": "apply-security-config", "portals": [{"secretArn": ARN}]},
            "securityConfig is required",
        ),
        (
            {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}], "securityConfig": {}},
            "only for action",
        ),
        (
            {
                "action": "apply-security-config",
                "portals": [{"secretArn": ARN}],
                "securityConfig": {"webgisServerTrustKey": "x"},
            },
            "federation",
        ),
        (
            {
                "action": "apply-security-config",
                "portals": [{"secretArn": ARN}],
                "securityConfig": {"disableServicesDirectory": "yes"},
            },
            "boolean",
        ),
        (
            {
                "action": "rotate-shared-key",
                "portals": [{"secretArn": OUTSIDE}],
            },
            "outside",
        ),
        (
            {
                "action": "rotate-shared-key",
                "portals": [{"secretArn": ARN}],
                "timing": {"maxRestartSeconds": 901},
            },
            "exceeds",
        ),
        (
            {"action": "rotate-shared-key", "portals": [{"secretArn": ARN, "secretArn2": 1}]},
            "unknown field",
        ),
        (
            {
                "action": "rotate-shared-key",
                "portals": [{"secretArn": ARN}, {"secretArn": OTHER}],
                "rotationToken": "4b2f5a9c-0e1d-4c3b-9a8f-7e6d5c4b3a21",
            },
            "exactly one",
        ),
    ],
)
def test_bad_inputs_are_refused_naming_the_problem(raw: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidExecutionInput) as raised:
        plan(raw)

    assert problem in raised.value.message


def test_a_partial_arn_is_resolved_to_the_full_one(secrets: FakeSecrets) -> None:
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": PREFIX + "gis"}]}

    assert plan(raw, secrets=secrets)["items"][0]["secretArn"] == ARN


def test_one_secret_named_twice_is_refused(secrets: FakeSecrets) -> None:
    """FAULTS row 36: its full and its partial ARN are one secret, one lock."""
    raw = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": ARN}, {"secretArn": PREFIX + "gis"}],
    }

    with pytest.raises(InvalidExecutionInput) as raised:
        plan(raw, secrets=secrets)

    assert "more than once" in raised.value.message


def test_a_missing_or_unreadable_secret_is_named(secrets: FakeSecrets) -> None:
    secrets.denied.add(OTHER)
    raw = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": PREFIX + "gone-AbCdEf"}, {"secretArn": OTHER}],
    }

    with pytest.raises(InvalidExecutionInput) as raised:
        plan(raw, secrets=secrets)

    assert "gone-AbCdEf does not exist" in raised.value.message
    assert "may not be read" in raised.value.message


def fleet(count: int, *, others: int = 0) -> tuple[FakeSecrets, list[str]]:
    """``count`` portal secrets to name, after ``others`` the run does not name."""
    fake = FakeSecrets()
    for i in range(others):
        fake.create(f"portal-admin/other-{i:05d}", VALUE)
    return fake, [fake.create(f"portal-admin/gis-{i:05d}", VALUE) for i in range(count)]


def test_many_named_portals_are_resolved_by_listing_not_one_call_each() -> None:
    """1,000 DescribeSecret calls took 30-40 s of PlanExecution's 30 (issue 19 item 3);
    ListSecrets resolves 100 a call, partial ARNs by their name."""
    secrets, arns = fleet(1000)
    named = [arn if i % 2 else arn[:-7] for i, arn in enumerate(arns)]  # half partial
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": a} for a in named]}

    planned = plan(raw, secrets=secrets)

    assert [i["secretArn"] for i in planned["items"]] == arns
    operations = [operation for operation, _ in secrets.calls]
    assert operations == ["list"] * 10


def test_what_the_listing_does_not_show_yet_is_described() -> None:
    """ListSecrets may not show the last five minutes' secrets; DescribeSecret does."""
    secrets, arns = fleet(30)
    secrets.not_listed_yet()
    new = secrets.create("portal-admin/gis-new", VALUE)
    raw = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": a} for a in [*arns, new[:-7], PREFIX + "gone-AbCdEf"]],
    }

    with pytest.raises(InvalidExecutionInput) as raised:
        plan(raw, secrets=secrets)
    assert "gone-AbCdEf does not exist" in raised.value.message

    raw["portals"] = raw["portals"][:-1]
    assert plan(raw, secrets=secrets)["items"][-1]["secretArn"] == new


def test_a_prefix_holding_far_more_secrets_stops_the_listing_early() -> None:
    """Naming 20 of 5,000: at most a page per ten named, then DescribeSecret for the rest,
    never many more calls than describing each would make."""
    secrets, arns = fleet(20, others=5000)
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": a} for a in arns]}

    planned = plan(raw, secrets=secrets)

    assert [i["secretArn"] for i in planned["items"]] == arns
    operations = [operation for operation, _ in secrets.calls]
    assert operations.count("list") == 3
    assert {arn for operation, arn in secrets.calls if operation == "describe"} == set(arns)


@pytest.mark.parametrize("raw", [None, [], ["rotate-shared-key"], "rotate", 7])
def test_input_that_is_not_an_object_is_refused(raw: Any) -> None:
    with pytest.raises(InvalidExecutionInput) as raised:
        plan(raw)

    assert "a JSON object is required" in raised.value.message


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"dryRun": "no"}, "dryRun"),
        ({"dryRun": 0}, "dryRun"),
        ({"dryRun": "false"}, "dryRun"),
        ({"timing": {"maxRestartSeconds": "30"}}, "maxRestartSeconds"),
        ({"timing": {"pollWindowSeconds": 5.5}}, "pollWindowSeconds"),
        ({"timing": {"healthPollSeconds": "1"}}, "healthPollSeconds"),
        ({"rotationToken": "x"}, "rotationToken"),
        ({"rotationToken": "../../../../../../../../../../../.."}, "rotationToken"),
        ({"portals": [{"secretArn": ARN, "label": "a\u202eb"}]}, "label"),
        ({"portals": [{"secretArn": ARN, "label": "../etc"}]}, "label"),
        ({"portals": [{"secretArn": ARN, "label": "x" * 65}]}, "label"),
        ({"portals": [{"secretArn": ARN, "label": "nul\u0000"}]}, "label"),
        ({"source": "Manual Run"}, "source"),
    ],
)
def test_wrong_types_and_unsafe_strings_are_never_coerced(
    change: dict[str, Any], where: str
) -> None:
    """FAULTS row 38: "no" is not false, "30" is not a number, labels are plain."""
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}], **change}

    with pytest.raises(InvalidExecutionInput) as raised:
        plan(raw)

    assert where in raised.value.message


def test_a_plain_label_and_integers_for_numbers_pass() -> None:
    raw = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": ARN, "label": "gis-prod 2_eu.west"}],
        "timing": {"healthPollSeconds": 1, "maxRestartSeconds": 600},
        "rotationToken": "4b2f5a9c-0e1d-4c3b-9a8f-7e6d5c4b3a21",
    }

    assert plan(raw)["items"][0]["label"] == "gis-prod 2_eu.west"


def test_the_run_is_recorded_once_and_the_items_go_to_a_manifest() -> None:
    work, ledger = FakeWorkStore(), FakeLedger()
    config = {"allowedProxyHosts": ",".join(f"h{i}.example.com" for i in range(40))}
    raw = {
        "action": "apply-security-config",
        "portals": [{"secretArn": ARN}, {"secretArn": OTHER}],
        "securityConfig": config,
    }

    planned = plan(raw, work=work, ledger=ledger)

    assert planned["manifest"] == {"Bucket": "work", "Key": "manifests/run-42.json"}
    assert planned["portals"] == 2
    assert all("securityConfig" not in item for item in planned["items"])
    assert ledger.get_run("run-42")["securityConfig"] == config
    assert ledger.get_run("run-42")["manifest"] == "manifests/run-42.json"


def test_portals_are_selected_by_tag_and_name_inside_the_prefix() -> None:
    secrets = FakeSecrets()
    prod_a = secrets.create("portal-admin/prod-a", VALUE, env="prod")
    secrets.create("portal-admin/prod-b", VALUE, env="test")
    prod_c = secrets.create("portal-admin/prod-c", VALUE, env="prod", team="gis")
    secrets.create("portal-admin/dev-d", VALUE, env="prod")
    secrets.create("other/prod-e", VALUE, env="prod")  # outside SecretArnPrefix

    by_tag = plan(
        {"action": "rotate-shared-key", "select": {"tags": {"env": "prod"}}}, secrets=secrets
    )
    by_both = plan(
        {
            "action": "rotate-shared-key",
            "select": {"tags": {"env": "prod"}, "namePrefix": "portal-admin/prod"},
        },
        secrets=secrets,
    )

    assert {i["secretArn"] for i in by_tag["items"]} == {
        prod_a,
        prod_c,
        secrets._find("portal-admin/dev-d").arn,
    }
    assert [i["secretArn"] for i in by_both["items"]] == sorted([prod_a, prod_c])


@pytest.mark.parametrize(
    ("select", "problem"),
    [
        ({"namePrefix": "other/"}, "outside the secrets"),
        ({"tags": {"env": "nowhere"}}, "matched no portal secret"),
        ({}, "select needs tags, namePrefix or both"),
    ],
)
def test_a_selection_outside_the_prefix_or_of_nothing_is_refused(
    select: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidExecutionInput) as raised:
        plan({"action": "rotate-shared-key", "select": select})

    assert problem in raised.value.message


def test_naming_and_selecting_at_once_is_refused() -> None:
    raw = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": ARN}],
        "select": {"namePrefix": "portal-admin/"},
    }

    with pytest.raises(InvalidExecutionInput) as raised:
        plan(raw)

    assert "not both" in raised.value.message


LONG_RESTARTS = PlanExecutionSettings(
    secret_arn_prefix=PREFIX, max_restart_seconds=86_400, runs_table="runs", work_bucket="work"
)


@pytest.mark.parametrize(
    ("timing", "refused"),
    [
        ({"maxRestartSeconds": 86_400}, False),  # the defaults hold a day-long restart
        ({"maxRestartSeconds": 86_400, "pollWindowSeconds": 30, "pollIntervalSeconds": 5}, True),
        ({"maxRestartSeconds": 3_600, "pollWindowSeconds": 1, "pollIntervalSeconds": 0}, True),
        ({"maxRestartSeconds": 900, "pollWindowSeconds": 1, "pollIntervalSeconds": 0}, False),
    ],
)
def test_a_timing_whose_wait_could_outgrow_the_history_quota_is_refused(
    timing: dict[str, int], refused: bool
) -> None:
    """A child execution past 25,000 events fails uncatchably (no RecordFailure): the
    planner refuses the timing before any portal is touched."""
    secrets, work = FakeSecrets(), FakeWorkStore()
    secrets.create("portal-admin/gis", VALUE, arn=ARN)
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}], "timing": timing}
    planner = Planner(LONG_RESTARTS, secrets, FakeLedger(), work)

    if not refused:
        planned = plan_execution(raw, EXECUTION, planner)
        assert (
            work.get_json(planned["manifest"]["Key"])[0]["timing"]["maxRestartSeconds"]
            == (timing["maxRestartSeconds"])
        )
        return
    with pytest.raises(InvalidExecutionInput) as raised:
        plan_execution(raw, EXECUTION, planner)
    assert "history" in raised.value.message
    assert work.keys() == []  # no manifest: nothing was planned
