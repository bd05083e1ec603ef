"""Secrets Manager adapter against moto in-process (FAULTS rows 14, 22, 28 at adapter level)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws
from portal_automation.aws.secrets_store import CURRENT, PENDING, PREVIOUS, SecretsStore
from portal_automation.domain.credentials import PortalCredentials
from portal_automation.errors import (
    InsecurePortalUrl,
    InvalidCredentialsSecret,
    SecretAccessDenied,
    SecretNotFound,
    SecretStoreRejected,
    SecretStoreUnavailable,
)
from portal_automation.portal.url import UrlPolicy
from portal_automation.sensitive import Secret

CANARY = "CANARY-pw-7f3a9c"
NEW_KEY = "CANARYkey" + "Q" * 34 + "="
VERSION_A = "aaaaaaaa-0000-4000-8000-000000000001"
VERSION_B = "bbbbbbbb-0000-4000-8000-000000000002"
REGION = "eu-west-1"
ARN = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:portal/prod-AbCdEf"

SECRET: dict[str, Any] = {
    "url": "https://gis.example.com/portal",
    "username": "portaladmin",
    "password": CANARY,
    "owner": "gis-team",
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def sm(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def secret_arn(sm: Any) -> str:
    return str(
        sm.create_secret(
            Name="portal/prod", SecretString=json.dumps(SECRET), ClientRequestToken=VERSION_A
        )["ARN"]
    )


@pytest.fixture
def store(sm: Any) -> SecretsStore:
    return SecretsStore(sm)


def _no_canary(exc: BaseException) -> None:
    for text in (str(exc), repr(exc)):
        assert CANARY not in text
        assert NEW_KEY not in text


# --- reading -----------------------------------------------------------------------


def test_read_current(store: SecretsStore, secret_arn: str) -> None:
    version = store.read(secret_arn)
    assert version.version_id == VERSION_A
    assert version.credentials.username == "portaladmin"
    assert version.credentials.password.reveal() == CANARY
    assert dict(version.credentials.extra) == {"owner": "gis-team"}
    assert CANARY not in repr(version)


def test_read_by_name_too(store: SecretsStore, secret_arn: str) -> None:
    assert store.read("portal/prod").version_id == VERSION_A


def test_read_by_stage_and_by_version(sm: Any, store: SecretsStore, secret_arn: str) -> None:
    creds = store.read(secret_arn).credentials.with_shared_key(Secret(NEW_KEY))
    store.put_pending(secret_arn, VERSION_B, creds)
    pending = store.read(secret_arn, stage=PENDING)
    assert pending.version_id == VERSION_B
    assert pending.credentials.shared_key == Secret(NEW_KEY)
    by_id = store.read(secret_arn, version_id=VERSION_A)
    assert by_id.version_id == VERSION_A
    assert by_id.credentials.shared_key is None
    # version_id wins over stage
    assert store.read(secret_arn, stage=PENDING, version_id=VERSION_A).version_id == VERSION_A


def test_binary_secret_is_rejected(sm: Any, store: SecretsStore) -> None:
    arn = sm.create_secret(Name="portal/binary", SecretBinary=CANARY.encode())["ARN"]
    with pytest.raises(InvalidCredentialsSecret, match="binary") as info:
        store.read(arn)
    assert arn in info.value.message
    _no_canary(info.value)


def test_malformed_secret_value_names_the_field(sm: Any, store: SecretsStore) -> None:
    arn = sm.create_secret(
        Name="portal/bad",
        SecretString=json.dumps({"url": "https://x.example.com", "password": CANARY}),
    )["ARN"]
    with pytest.raises(InvalidCredentialsSecret) as info:
        store.read(arn)
    assert info.value.field == "username"
    _no_canary(info.value)


def test_http_url_in_secret_refused_unless_store_allows(sm: Any) -> None:
    arn = sm.create_secret(
        Name="portal/http",
        SecretString=json.dumps({**SECRET, "url": "http://localhost:7080/arcgis"}),
    )["ARN"]
    with pytest.raises(InsecurePortalUrl):
        SecretsStore(sm).read(arn)
    assert (
        SecretsStore(sm, UrlPolicy(allow_http=True, allow_local=True))
        .read(arn)
        .credentials.url.startswith("http://")
    )


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"stage": PENDING}, {"version_id": VERSION_B}],
    ids=["missing-secret", "missing-stage", "missing-version"],
)
def test_not_found(store: SecretsStore, secret_arn: str, kwargs: dict[str, str]) -> None:
    target = "portal/missing" if not kwargs else secret_arn
    with pytest.raises(SecretNotFound) as info:
        store.read(target, **kwargs)
    assert target in info.value.message
    _no_canary(info.value)


# --- versions and stages -----------------------------------------------------------


def current(store: SecretsStore, secret_arn: str) -> str:
    """The version holding AWSCURRENT."""
    (version,) = [v for v, stages in store.stages(secret_arn).items() if CURRENT in stages]
    return version


def test_pending_semantics(store: SecretsStore, secret_arn: str) -> None:
    assert store.pending_version_id(secret_arn) is None
    assert current(store, secret_arn) == VERSION_A
    creds = store.read(secret_arn).credentials.with_shared_key(Secret(NEW_KEY))
    store.put_pending(secret_arn, VERSION_B, creds)
    assert store.pending_version_id(secret_arn) == VERSION_B
    assert current(store, secret_arn) == VERSION_A
    stages = store.stages(secret_arn)
    assert stages[VERSION_A] == [CURRENT]
    assert stages[VERSION_B] == [PENDING]
    # The stored value keeps unknown fields and the new key.
    stored = json.loads(
        store._client.get_secret_value(SecretId=secret_arn, VersionStage=PENDING)["SecretString"]
    )
    assert stored == {**SECRET, "sharedKey": NEW_KEY}


def test_promote_moves_current_and_previous_and_drops_pending(
    store: SecretsStore, secret_arn: str
) -> None:
    creds = store.read(secret_arn).credentials.with_shared_key(Secret(NEW_KEY))
    store.put_pending(secret_arn, VERSION_B, creds)
    store.promote(secret_arn, VERSION_B)
    assert current(store, secret_arn) == VERSION_B
    assert store.pending_version_id(secret_arn) is None
    stages = store.stages(secret_arn)
    assert stages[VERSION_B] == [CURRENT]
    assert stages[VERSION_A] == [PREVIOUS]
    assert store.read(secret_arn).credentials.shared_key == Secret(NEW_KEY)
    with pytest.raises(SecretNotFound):
        store.read(secret_arn, stage=PENDING)


def test_promote_is_idempotent(store: SecretsStore, secret_arn: str) -> None:
    """A re-run after a crash finds the version already current and changes nothing."""
    store.put_pending(secret_arn, VERSION_B, store.read(secret_arn).credentials)
    store.promote(secret_arn, VERSION_B)
    before = store.stages(secret_arn)
    store.promote(secret_arn, VERSION_B)
    assert store.stages(secret_arn) == before


def test_promote_of_an_unknown_version_is_refused(store: SecretsStore, secret_arn: str) -> None:
    with pytest.raises((SecretStoreRejected, SecretNotFound)) as info:
        store.promote(secret_arn, VERSION_B)
    assert secret_arn in str(info.value)


def test_clear_pending(store: SecretsStore, secret_arn: str) -> None:
    store.put_pending(secret_arn, VERSION_B, store.read(secret_arn).credentials)
    store.clear_pending(secret_arn, VERSION_B)
    assert store.pending_version_id(secret_arn) is None
    assert current(store, secret_arn) == VERSION_A
    with pytest.raises(SecretNotFound):
        store.read(secret_arn, stage=PENDING)
    # The abandoned version is still readable by id (nothing silently deleted).
    assert store.read(secret_arn, version_id=VERSION_B).version_id == VERSION_B


def test_describe(store: SecretsStore, secret_arn: str) -> None:
    info = store.describe(secret_arn)
    assert info["ARN"] == secret_arn
    assert VERSION_A in info["VersionIdsToStages"]


# --- error mapping -----------------------------------------------------------------


def _stubbed(method: str, code: str, *, message: str = "") -> tuple[SecretsStore, Stubber]:
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stubber = Stubber(client)
    stubber.add_client_error(
        method, service_error_code=code, service_message=message or f"{code} for {ARN}"
    )
    stubber.activate()
    return SecretsStore(client), stubber


@pytest.mark.parametrize("code", ["AccessDeniedException", "DecryptionFailure"])
def test_access_denied_names_the_arn_not_the_value(code: str) -> None:
    store, stubber = _stubbed(
        "get_secret_value", code, message=f"User arn:aws:iam::1:role/x is not authorized {CANARY}"
    )
    with pytest.raises(SecretAccessDenied) as info:
        store.read(ARN)
    message = info.value.message
    assert ARN in message
    assert "access denied" in message
    _no_canary(info.value)
    stubber.assert_no_pending_responses()


def test_access_denied_on_write() -> None:
    store, _ = _stubbed("put_secret_value", "AccessDeniedException")
    creds = PortalCredentials.from_secret_string(json.dumps(SECRET))
    with pytest.raises(SecretAccessDenied) as info:
        store.put_pending(ARN, VERSION_B, creds)
    assert ARN in info.value.message
    assert "write" in info.value.message
    _no_canary(info.value)


def test_access_denied_with_a_raising_client() -> None:
    class DeniedClient:
        def get_secret_value(self, **kwargs: Any) -> dict[str, Any]:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "denied"}},
                "GetSecretValue",
            )

    with pytest.raises(SecretAccessDenied, match="access denied") as info:
        SecretsStore(DeniedClient()).read(ARN)  # type: ignore[arg-type]
    assert ARN in info.value.message


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ResourceNotFoundException", SecretNotFound),
        ("ThrottlingException", SecretStoreUnavailable),
        ("InternalServiceError", SecretStoreUnavailable),
        ("InvalidRequestException", SecretStoreRejected),
        ("InvalidParameterException", SecretStoreRejected),
    ],
)
def test_client_error_mapping(code: str, error: type[Exception]) -> None:
    store, _ = _stubbed("describe_secret", code)
    with pytest.raises(error) as info:
        store.stages(ARN)
    assert ARN in str(info.value)


def test_botocore_error_is_unavailable() -> None:
    class Unreachable:
        def describe_secret(self, **kwargs: Any) -> dict[str, Any]:
            raise EndpointConnectionError(endpoint_url="https://secretsmanager.invalid")

    with pytest.raises(SecretStoreUnavailable, match="EndpointConnectionError"):
        SecretsStore(Unreachable()).stages(ARN)  # type: ignore[arg-type]


def test_secret_without_current_version() -> None:
    class NoCurrent:
        def describe_secret(self, **kwargs: Any) -> dict[str, Any]:
            return {"VersionIdsToStages": {VERSION_A: [PREVIOUS], VERSION_B: [PENDING]}}

    store = SecretsStore(NoCurrent())  # type: ignore[arg-type]
    assert store.pending_version_id(ARN) == VERSION_B
