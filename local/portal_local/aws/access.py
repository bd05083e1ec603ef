"""Who calls what at the local endpoint, and what IAM would say about it.

* **Principals.** Each function's workers sign with an access key id of their own
  (:func:`access_key_id`, derived from the function name), standing for the temporary
  credentials Lambda gives a function from its execution role. The endpoint maps the key
  back to the function and its role (:class:`Principals`); every other key (the tests',
  the CLI's) is the *operator*, ``LocalAwsEndpoint.operator_arn``; the ASL interpreter's
  own key (``"ak"``) is the state machine service.
* **Request context.** :func:`with_request_context` wraps moto's WSGI app: for each
  request it records the principal and ``aws:SecureTransport`` (the endpoint stands for
  AWS's HTTPS endpoint, so true, unless the request says ``X-Forwarded-Proto: http``:
  how a test shows a plain-HTTP request) in a thread-local :func:`current` context.
* **Calls.** :class:`CallRecorder` records every call a function makes (service, IAM
  action, resource ARNs derived from the parameters, and the KMS use the call implies),
  server-side, from moto's own request parsing, and asks its ``authorize`` hook (set by
  ``moto_workarounds.iam.function_role_policies_not_enforced``) whether IAM would allow
  them: a refused call is answered ``AccessDenied`` as AWS answers it, and not run.
* **Evaluation.** :func:`evaluate` applies IAM's evaluation logic to a set of policy
  statements (AWS IAM user guide, "Policy evaluation logic" and "IAM JSON policy
  elements": an explicit Deny wins, else an Allow is needed; ``Action``/``NotAction``,
  ``Resource``/``NotResource``, ``Principal``, wildcards ``*`` and ``?``, actions case
  insensitive, the condition operators below with ``...IfExists``; a condition key the
  request lacks matches only a negated operator). No library fits: moto's
  ``IAMPolicy`` knows ``StringEquals`` only and neither ``NotResource`` nor ``?``;
  policyuniverse and parliament parse and lint policies but do not evaluate requests.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

INTERPRETER_KEY = "ak"  # moto's ASL interpreter signs its calls with this key
STATES_PRINCIPAL = "states.amazonaws.com"

# -- principals and the request context -------------------------------------------------


def access_key_id(function_name: str) -> str:
    """The access key id a function's workers sign with (20 characters, as AWS's)."""
    return "ASIA" + hashlib.sha256(function_name.encode()).hexdigest()[:16].upper()


@dataclass(frozen=True)
class Principal:
    arn: str
    """What ``aws:PrincipalArn`` is: the role's ARN for a function (an assumed-role
    session), the operator's role, or the service."""
    function: str = ""
    """The function whose credentials signed the request ("" for any other caller)."""


class Principals:
    """Access key id -> principal, for every function the endpoint ran."""

    def __init__(self, operator_arn: str) -> None:
        self.operator = Principal(operator_arn)
        self._by_key: dict[str, Principal] = {INTERPRETER_KEY: Principal(STATES_PRINCIPAL)}
        self._lock = threading.Lock()

    def register(self, key: str, principal: Principal) -> None:
        with self._lock:
            self._by_key[key] = principal

    def of(self, key: str | None) -> Principal:
        with self._lock:
            return self._by_key.get(key or "", self.operator)


@dataclass
class RequestContext:
    principal: Principal
    secure_transport: bool = True
    condition_keys: dict[str, Any] = field(default_factory=dict)
    """The service's own condition keys the call being authorized carries
    (:func:`request_condition_keys`)."""


_local = threading.local()
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def current() -> RequestContext | None:
    """The context of the request this thread is serving (None: not in a request)."""
    return getattr(_local, "context", None)


def with_request_context(app: Callable[..., Any], principals: Principals) -> Callable[..., Any]:
    """``app`` with a :class:`RequestContext` set while it serves each request."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        match = _CREDENTIAL.search(str(environ.get("HTTP_AUTHORIZATION", "")))
        key = match.group(1) if match else None
        plain = str(environ.get("HTTP_X_FORWARDED_PROTO", "")).lower() == "http"
        _local.context = RequestContext(principals.of(key), secure_transport=not plain)
        try:
            return app(environ, start_response)
        finally:
            _local.context = None

    return wrapped


# -- recorded calls ---------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One authorization a function's request needed: an IAM action on a resource."""

    function: str
    role_arn: str
    action: str
    resource: str
    operation: str
    """The API operation (``s3:DeleteObjects`` needs ``s3:DeleteObject`` per key, a
    ``PutObject`` to an SSE-KMS bucket needs ``kms:GenerateDataKey`` too)."""
    refused: bool = False
    """The endpoint answered the request AccessDenied (and did not run it)."""
    conditions: tuple[tuple[str, str], ...] = ()
    """The service condition keys the request carried (request_condition_keys)."""


_IAM_PREFIX = {"stepfunctions": "states", "monitoring": "cloudwatch"}


@dataclass(frozen=True)
class Refusal:
    """The authorization IAM refuses a request for, and what AWS says then."""

    action: str
    resource: str
    message: str


Authorize = Callable[[RequestContext, list[tuple[str, str]]], Refusal | None]
"""(the request, the authorizations it needs) -> the one IAM refuses (None: allowed)."""


class CallRecorder:
    """Every authorization each function's calls needed, derived at the endpoint."""

    def __init__(self, region: str, account_id: str) -> None:
        self.region, self.account_id = region, account_id
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self.authorize: Authorize | None = None

    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def record(self, service: str, operation: str, params: Mapping[str, Any]) -> str | None:
        """Record what a function's call needs; why IAM would refuse it (None: allowed)."""
        context = current()
        if context is None or not context.principal.function:
            return None
        prefix = _IAM_PREFIX.get(service, service)
        needed = list(self.authorizations(prefix, operation, params))
        context.condition_keys = request_condition_keys(prefix, operation, params)
        refusal = self.authorize(context, needed) if self.authorize else None
        if refusal is not None:  # not run: only the refused authorization was asked for
            needed = [(refusal.action, refusal.resource)]
        with self._lock:
            for action, resource in needed:
                self._calls.append(
                    Call(
                        context.principal.function,
                        context.principal.arn,
                        action,
                        resource,
                        f"{prefix}:{operation}",
                        refused=refusal is not None,
                        conditions=tuple(sorted(context.condition_keys.items())),
                    )
                )
        return refusal.message if refusal else None

    def authorizations(
        self, prefix: str, operation: str, params: Mapping[str, Any]
    ) -> Iterable[tuple[str, str]]:
        """(IAM action, resource ARN) pairs the call needs (Service Authorization
        Reference: the action's resource types; KMS use per the services' encryption
        pages)."""
        if prefix == "s3":
            yield from _s3_authorizations(operation, params)
            return
        arn = self._resource(prefix, operation, params)
        for resource in arn if isinstance(arn, list) else [arn]:
            yield f"{prefix}:{operation}", resource
        if prefix == "secretsmanager" and operation in ("GetSecretValue", "PutSecretValue"):
            key = _secret_kms_key(self.account_id, self.region, str(params.get("SecretId")))
            if key:
                yield (
                    ("kms:Decrypt" if operation == "GetSecretValue" else "kms:GenerateDataKey"),
                    key,
                )

    def _resource(self, prefix: str, operation: str, params: Mapping[str, Any]) -> str | list[str]:
        base = f"arn:aws:{prefix}:{self.region}:{self.account_id}"
        if prefix == "secretsmanager" and "SecretId" in params:
            return _secret_arn(self.account_id, self.region, str(params["SecretId"]))
        if prefix == "dynamodb" and isinstance(params.get("RequestItems"), dict):
            return [f"{base}:table/{t}" for t in sorted(params["RequestItems"])]
        if prefix == "dynamodb" and "TableName" in params:
            index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
            return f"{base}:table/{params['TableName']}{index}"
        if prefix == "states":
            for key in ("stateMachineArn", "executionArn", "mapRunArn", "activityArn"):
                if key in params:
                    return str(params[key])
        if prefix == "events" and operation == "PutEvents":
            buses = {str(e.get("EventBusName") or "default") for e in params.get("Entries", [])}
            return [b if b.startswith("arn:") else f"{base}:event-bus/{b}" for b in sorted(buses)]
        if prefix == "ssm" and "Name" in params:
            return f"{base}:parameter/{str(params['Name']).lstrip('/')}"
        if prefix == "sns" and "TopicArn" in params:
            return str(params["TopicArn"])
        if prefix == "kms" and "KeyId" in params:
            return _kms_key_arn(self.account_id, self.region, str(params["KeyId"])) or "*"
        return "*"


def request_condition_keys(
    prefix: str, operation: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The service-specific condition keys a request carries, for the operations the
    functions call with them (Service Authorization Reference, "Actions, resources, and
    condition keys for AWS Secrets Manager": ``UpdateSecretVersionStage`` carries
    ``secretsmanager:VersionStage``, the stage the request moves or removes;
    ``PutSecretValue`` carries no stage key, so no condition can pin its stages)."""
    if prefix == "secretsmanager" and operation == "UpdateSecretVersionStage":
        return {"secretsmanager:VersionStage": str(params.get("VersionStage", ""))}
    return {}


def _s3_authorizations(operation: str, params: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    bucket = str(params.get("Bucket", ""))
    keys: list[str | None] = [str(k) for k in params.get("Keys", [])]
    for key in keys or [None]:
        resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
        yield f"s3:{operation}", resource
        kms = params.get("KmsKey")
        if kms and operation == "PutObject":
            yield "kms:GenerateDataKey", str(kms)
        if kms and operation == "GetObject":
            yield "kms:Decrypt", str(kms)


def _secret_arn(account: str, region: str, secret_id: str) -> str:
    from moto.secretsmanager.models import secretsmanager_backends  # noqa: PLC0415

    backend = secretsmanager_backends[account][region]
    if backend._is_valid_identifier(secret_id):
        return str(backend.secrets[secret_id].arn)
    if secret_id.startswith("arn:"):
        return secret_id
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{secret_id}"


def _secret_kms_key(account: str, region: str, secret_id: str) -> str | None:
    """The customer managed key a secret is encrypted with (None: ``aws/secretsmanager``,
    whose key policy lets every principal of the account use it through the service)."""
    from moto.secretsmanager.models import secretsmanager_backends  # noqa: PLC0415

    backend = secretsmanager_backends[account][region]
    if not backend._is_valid_identifier(secret_id):
        return None
    key = getattr(backend.secrets[secret_id], "kms_key_id", None)
    return _kms_key_arn(account, region, str(key)) if key else None


def _kms_key_arn(account: str, region: str, key: str) -> str | None:
    """A customer managed key's ARN from its id, ARN or alias (None: an AWS managed key)."""
    if key.startswith("alias/aws/") or ":alias/aws/" in key:
        return None
    if key.startswith("arn:") and ":key/" in key:
        return key
    from moto.kms.models import kms_backends  # noqa: PLC0415

    backend = kms_backends[account][region]
    try:
        found = backend.describe_key(key)
    except Exception:  # noqa: BLE001 - an unknown key: named as given
        return key
    return str(found.arn)


# -- IAM evaluation ---------------------------------------------------------------------


def _like(pattern: str, value: str, *, case: bool = True) -> bool:
    """IAM wildcard matching: ``*`` any run of characters, ``?`` any one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    flags = re.DOTALL if case else re.DOTALL | re.IGNORECASE
    return re.fullmatch(regex, value, flags) is not None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _operator(name: str) -> tuple[Callable[[str, str], bool], bool]:
    """(test of one value against one policy value, negated?) for a condition operator."""
    base = name.removesuffix("IfExists")
    negated = "Not" in base
    plain = base.replace("Not", "")
    tests: dict[str, Callable[[str, str], bool]] = {
        "StringEquals": lambda v, p: v == p,
        "StringEqualsIgnoreCase": lambda v, p: v.lower() == p.lower(),
        "StringLike": lambda v, p: _like(p, v),
        "ArnEquals": lambda v, p: _like(p, v),
        "ArnLike": lambda v, p: _like(p, v),
        "Bool": lambda v, p: v.lower() == str(p).lower(),
    }
    if plain not in tests:
        raise ValueError(f"condition operator {name} is not evaluated locally")
    return tests[plain], negated


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    for operator, keys in conditions.items():
        test, negated = _operator(operator)
        for key, wanted in keys.items():
            values = context.get(key)
            if values is None:  # missing key: only a negated operator (or ...IfExists) holds
                if not (negated or operator.endswith("IfExists")):
                    return False
                continue
            matched = any(test(str(v), str(p)) for v in _listed(values) for p in _listed(wanted))
            if matched == negated:
                return False
    return True


def _element(statement: Mapping[str, Any], name: str, value: str, *, case: bool) -> bool:
    """Whether ``value`` is covered by the statement's ``name`` (or excluded by its
    ``Not<name>``)."""
    if name in statement:
        return any(_like(str(p), value, case=case) for p in _listed(statement[name]))
    if f"Not{name}" in statement:
        return not any(_like(str(p), value, case=case) for p in _listed(statement[f"Not{name}"]))
    return name == "Resource"  # a resource policy's statement may leave Resource out


def _principal_matches(statement: Mapping[str, Any], principal: str) -> bool:
    if "Principal" not in statement:
        return True  # an identity policy: the principal is the one it is attached to
    named = statement["Principal"]
    if named == "*":
        return True
    values = [v for v in _listed(named.get("AWS", [])) + _listed(named.get("Service", []))]
    return any(v == "*" or _like(str(v), principal) for v in values)


def applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any]
) -> bool:
    """Whether a policy statement applies to this request."""
    principal = str(_listed(context.get("aws:PrincipalArn", [""]))[0])
    return (
        _element(statement, "Action", action, case=False)
        and _element(statement, "Resource", resource, case=True)
        and _principal_matches(statement, principal)
        and _conditions_hold(statement.get("Condition") or {}, context)
    )


def evaluate(
    statements: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> str:
    """``"Deny"`` (an explicit Deny applies), ``"Allow"`` or ``"ImplicitDeny"``."""
    result = "ImplicitDeny"
    for statement in statements:
        if applies(statement, action, resource, context or {}):
            if statement.get("Effect") == "Deny":
                return "Deny"
            result = "Allow"
    return result


def statements_of(document: Any) -> list[dict[str, Any]]:
    """A policy document's statements (from JSON text or a dict)."""
    parsed = json.loads(document) if isinstance(document, str) else document
    return [dict(s) for s in _listed((parsed or {}).get("Statement") or [])]


def request_context(principal: str, secure: bool = True, **extra: Any) -> dict[str, Any]:
    """The condition keys the endpoint knows about a request."""
    return {"aws:PrincipalArn": principal, "aws:SecureTransport": str(secure).lower(), **extra}


@dataclass
class Role:
    """A role's identity policies as IAM holds them (inline and attached managed)."""

    arn: str
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def statements(self) -> list[dict[str, Any]]:
        return [s for statements in self.policies.values() for s in statements]


class Clients(Protocol):
    """Where boto3 clients come from (the endpoint: ``moto_endpoint.LocalAwsEndpoint``)."""

    def client(self, service_name: str) -> Any: ...


def role_from_iam(endpoint: Clients, role_arn: str) -> Role:
    """The deployed role's policies, read back through the IAM API (moto's IAM)."""
    iam = endpoint.client("iam")
    name = role_arn.rsplit("/", 1)[1]
    role = Role(role_arn)
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy in page["PolicyNames"]:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            role.policies[policy] = statements_of(document)
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for attached in page["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)
            role.policies[arn] = statements_of(document["PolicyVersion"]["Document"])
    return role


# -- recording at the endpoint -----------------------------------------------------------


def install_recorder(patches: Any, recorder: CallRecorder) -> None:
    """Record each request a function signs, from moto's own parsing: JSON-protocol
    services through ``BaseResponse.call_action`` (the operation from ``X-Amz-Target``,
    the parameters from the body), S3 through its authorization hook (moto names the S3
    IAM action of each request: ``ListBucket``, ``GetObject`` for GET and HEAD...)."""
    from moto.core.responses import BaseResponse  # noqa: PLC0415
    from moto.s3.exceptions import S3AccessDeniedError  # noqa: PLC0415
    from moto.s3.responses import S3Response  # noqa: PLC0415

    original_call: Any = BaseResponse.call_action
    original_s3: Any = S3Response._authenticate_and_authorize_s3_action

    def call_action(response: Any) -> Any:
        context = current()
        if context is not None and context.principal.function:
            body = response.body  # DynamoDB's handler has parsed it already
            try:
                params = body if isinstance(body, dict) else json.loads(body or "{}")
            except (TypeError, ValueError):
                params = {}
            service = str(response.service_name or "")
            refusal = recorder.record(
                service, str(response._get_action()), params if isinstance(params, dict) else {}
            )
            if refusal:
                return _access_denied(service, refusal)
        return original_call(response)

    def authorize_s3(
        response: Any, bucket_name: str | None = None, key_name: str | None = None
    ) -> Any:
        context = current()
        if context is not None and context.principal.function:
            action = str(response.data.get("Action", ""))
            keys = [key_name] if key_name else []
            if action == "DeleteObject" and not key_name:  # DeleteObjects: one per key
                keys = re.findall(
                    r"<Key>([^<]*)</Key>", (response.body or b"").decode("utf-8", "replace")
                )
            params: dict[str, Any] = {"Bucket": bucket_name or "", "Keys": keys}
            params["KmsKey"] = _s3_kms_key(recorder, response, bucket_name, key_name, action)
            if recorder.record("s3", action, params):
                raise S3AccessDeniedError
            # S3 API reference, PutObject (Permissions): an object put with tags
            # (x-amz-tagging) also needs s3:PutObjectTagging.
            tagged = action == "PutObject" and response.headers.get("x-amz-tagging")
            if tagged and recorder.record("s3", "PutObjectTagging", params):
                raise S3AccessDeniedError
            if action == "GetObject" and _missing(response, bucket_name, key_name):
                # S3 API reference, GetObject: for a key that does not exist, S3 answers
                # 404 to a caller with s3:ListBucket on the bucket, and 403 AccessDenied
                # to one without: reading "no such object" needs ListBucket.
                listing = {"Bucket": bucket_name or "", "Keys": []}
                if recorder.record("s3", "ListBucket", listing):
                    raise S3AccessDeniedError
        return original_s3(response, bucket_name=bucket_name, key_name=key_name)

    patches.set(BaseResponse, "call_action", call_action)
    patches.set(S3Response, "_authenticate_and_authorize_s3_action", authorize_s3)


def _access_denied(service: str, message: str) -> tuple[int, dict[str, str], str]:
    """The error AWS answers a refused call with, in the service's protocol: JSON
    protocols ``AccessDeniedException``, query (XML) protocols ``AccessDenied``."""
    if _protocol(service) in ("json", "rest-json"):
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        headers["x-amzn-ErrorType"] = "AccessDeniedException"
        body = {"__type": "AccessDeniedException", "message": message}
        return 400, headers, json.dumps(body)
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>"
        f"{html.escape(message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>"
    )
    return 403, {"Content-Type": "text/xml"}, xml


@functools.cache
def _protocol(service: str) -> str:
    import botocore.session  # noqa: PLC0415

    name = "cloudwatch" if service == "monitoring" else service  # moto's name for it
    try:
        model = botocore.session.get_session().get_service_model(name)
    except Exception:  # noqa: BLE001 - a service botocore does not know: JSON, as most are
        return "json"
    return str(model.metadata.get("protocol", "json"))


def _missing(response: Any, bucket: str | None, key: str | None) -> bool:
    if not bucket or not key:
        return False
    try:
        return response.backend.get_object(bucket, key) is None
    except Exception:  # noqa: BLE001 - moto raises for a missing key or bucket
        return True


def _s3_kms_key(
    recorder: CallRecorder, response: Any, bucket: str | None, key: str | None, action: str
) -> str | None:
    """The customer managed key an object request uses (S3 user guide, "Using server-side
    encryption with AWS KMS keys": a PutObject needs kms:GenerateDataKey, a GetObject
    kms:Decrypt, on the key; none for the AWS managed ``aws/s3``)."""
    if not bucket or not key:
        return None
    try:
        found = response.backend.get_bucket(bucket)
        if action == "PutObject":
            given = response.headers.get("x-amz-server-side-encryption-aws-kms-key-id")
            rule = (found.encryption or {}).get("Rule", {})
            default = rule.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
            named = given or default
        elif action == "GetObject":
            named = response.backend.get_object(bucket, key).kms_key_id
        else:
            return None
    except Exception:  # noqa: BLE001 - no such bucket or object: no key used
        return None
    return _kms_key_arn(recorder.account_id, recorder.region, str(named)) if named else None
