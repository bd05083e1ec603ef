"""Secrets Manager: version stages, version values, versions listed."""

from __future__ import annotations

from typing import Any

from moto.secretsmanager.exceptions import InvalidRequestException, ResourceExistsException
from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround


def secret_default_version_stale(patches: Patches, endpoint: Endpoint) -> None:
    """``GetSecretValue`` without a stage reads ``default_version_id``, which
    ``UpdateSecretVersionStage`` does not move with AWSCURRENT (and ``RotateSecret`` points
    at the new version whatever the rotation did); AWS returns AWSCURRENT. ``RotateSecret``
    also checks "a previous rotation isn't complete" the wrong way round (it refuses when
    AWSPENDING sits on AWSCURRENT, and silently moves a leftover AWSPENDING otherwise); AWS
    refuses when a version other than the requested token is AWSPENDING only: a pending
    label left on the current version (what *Leftover AWSPENDING*'s promotion leaves) moves
    to the rotation's new version. ``RotateImmediately=false`` (attaching a rotation without
    rotating) leaves the AWSPENDING version moto made for the testSecret step; AWS "creates
    an AWSPENDING version of the secret and then removes it"."""
    original_rotate: Any = SecretsManagerBackend.rotate_secret
    original_stage: Any = SecretsManagerBackend.update_secret_version_stage

    def follow_current(secret: Any) -> None:
        for version_id, version in secret.versions.items():
            if "AWSCURRENT" in version["version_stages"]:
                secret.default_version_id = version_id

    def rotate_secret(backend: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        token = kwargs.get("client_request_token") or (args[0] if args else None)
        known = backend._is_valid_identifier(secret_id)
        for version_id, version in backend.secrets[secret_id].versions.items() if known else []:
            stages = version["version_stages"]
            if "AWSPENDING" in stages and "AWSCURRENT" not in stages and version_id != token:
                raise InvalidRequestException(
                    "A previous rotation isn't complete. That rotation will be reattempted."
                )
        for version in backend.secrets[secret_id].versions.values() if known else []:
            if {"AWSPENDING", "AWSCURRENT"} <= set(version["version_stages"]):
                version["version_stages"].remove("AWSPENDING")
        before = set(backend.secrets[secret_id].versions) if known else set()
        result = original_rotate(backend, secret_id, *args, **kwargs)
        if known:
            secret = backend.secrets[secret_id]
            if kwargs.get("rotate_immediately") is False:
                for version_id in set(secret.versions) - before:
                    stages = secret.versions[version_id]["version_stages"]
                    secret.versions[version_id]["version_stages"] = [
                        s for s in stages if s != "AWSPENDING"
                    ]
            follow_current(secret)
        return result

    def update_secret_version_stage(backend: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        result = original_stage(backend, secret_id, *args, **kwargs)
        follow_current(backend.secrets[secret_id])
        return result

    patches.set(SecretsManagerBackend, "rotate_secret", rotate_secret)
    patches.set(SecretsManagerBackend, "update_secret_version_stage", update_secret_version_stage)


def secret_version_value_overwritten(patches: Patches, endpoint: Endpoint) -> None:
    """``PutSecretValue`` with the ``ClientRequestToken`` of an existing ``AWSPENDING``
    version and another value overwrites that version (moto refuses it for other
    versions only), and with the same value re-adds it. AWS (API reference,
    PutSecretValue ``ClientRequestToken``): the same value is ignored (idempotent),
    another value fails with ``ResourceExistsException`` ("you can't modify a secret
    version"), whatever the version's stages. A version without a value, which
    ``RotateSecret`` creates for its token, takes one: that is a rotation's createSecret
    step (AWS's rotation templates call PutSecretValue with the token)."""
    original: Any = SecretsManagerBackend.put_secret_value

    def put_secret_value(backend: Any, secret_id: str, **kwargs: Any) -> Any:
        token = kwargs.get("client_request_token")
        if token and backend._is_valid_identifier(secret_id):
            secret = backend.secrets[secret_id]
            version = secret.versions.get(token)
            held = (version or {}).get("secret_string"), (version or {}).get("secret_binary")
            if version is not None and held != (None, None):
                given = (kwargs.get("secret_string"), kwargs.get("secret_binary"))
                if (version.get("secret_string"), version.get("secret_binary")) != given:
                    raise ResourceExistsException(
                        f"You can't use ClientRequestToken {token} because that value is "
                        f"already in use for a version of secret {secret.arn}."
                    )
                return secret.to_short_dict(include_version_stages=True, version_id=token)
        return original(backend, secret_id, **kwargs)

    patches.set(SecretsManagerBackend, "put_secret_value", put_secret_value)


def unlabelled_versions_listed(patches: Patches, endpoint: Endpoint) -> None:
    """``DescribeSecret``'s ``VersionIdsToStages`` (and ``ListSecrets``'
    ``SecretVersionsToStages``) list every version, an unlabelled one with ``[]``. AWS
    (API reference, DescribeSecret ``VersionIdsToStages``): "a list of the versions of
    the secret that have staging labels attached"; a version without one is deprecated
    and not listed."""

    def version_ids_to_stages(secret: Any) -> dict[str, Any]:
        return {k: v["version_stages"] for k, v in secret.versions.items() if v["version_stages"]}

    patches.set(FakeSecret, "_form_version_ids_to_stages", version_ids_to_stages)


WORKAROUNDS: tuple[Workaround, ...] = (
    secret_default_version_stale,
    secret_version_value_overwritten,
    unlabelled_versions_listed,
)
