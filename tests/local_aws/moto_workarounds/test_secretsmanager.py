"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.secretsmanager` exists for."""

from __future__ import annotations

from typing import Any

from tests.local_aws.moto_workarounds._raw import make_function


def test_raw_moto_secret_default_version_stale(aws: Any) -> None:
    sm = aws("secretsmanager")
    sm.create_secret(Name="s", SecretString="one")
    current = sm.describe_secret(SecretId="s")["VersionIdsToStages"]
    first = next(iter(current))
    sm.put_secret_value(
        SecretId="s", SecretString="two", VersionStages=["AWSPENDING"], ClientRequestToken="t" * 32
    )
    sm.update_secret_version_stage(
        SecretId="s", VersionStage="AWSCURRENT", MoveToVersionId="t" * 32, RemoveFromVersionId=first
    )
    assert sm.get_secret_value(SecretId="s", VersionStage="AWSCURRENT")["SecretString"] == "two"
    assert sm.get_secret_value(SecretId="s")["SecretString"] == "one"  # AWS: AWSCURRENT

    # Attaching a rotation without rotating leaves the pending version moto made for its
    # testSecret call; AWS "creates an AWSPENDING version of the secret and then removes it".
    sm.create_secret(Name="attached", SecretString="one")
    sm.rotate_secret(
        SecretId="attached",
        RotationLambdaARN=make_function(aws),
        RotationRules={"AutomaticallyAfterDays": 90},
        RotateImmediately=False,
    )
    stages = sm.describe_secret(SecretId="attached")["VersionIdsToStages"]
    assert ["AWSPENDING"] in stages.values()  # AWS: no version AWSPENDING


def test_raw_moto_secret_version_value_overwritten(aws: Any) -> None:
    sm = aws("secretsmanager")
    sm.create_secret(Name="s", SecretString="one")
    token = "p" * 32
    sm.put_secret_value(
        SecretId="s", SecretString="two", VersionStages=["AWSPENDING"], ClientRequestToken=token
    )
    sm.put_secret_value(
        SecretId="s", SecretString="three", VersionStages=["AWSPENDING"], ClientRequestToken=token
    )  # AWS: ResourceExistsException
    assert sm.get_secret_value(SecretId="s", VersionId=token)["SecretString"] == "three"


def test_raw_moto_unlabelled_versions_listed(aws: Any) -> None:
    sm = aws("secretsmanager")
    sm.create_secret(Name="s", SecretString="one")
    token = "p" * 32
    sm.put_secret_value(
        SecretId="s", SecretString="two", VersionStages=["AWSPENDING"], ClientRequestToken=token
    )
    sm.update_secret_version_stage(
        SecretId="s", VersionStage="AWSPENDING", RemoveFromVersionId=token
    )
    assert sm.describe_secret(SecretId="s")["VersionIdsToStages"][token] == []  # AWS: absent
