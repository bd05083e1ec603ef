"""Parameter Store: who wrote each version of a parameter, as AWS records it."""

from __future__ import annotations

from typing import Any

from moto.ssm.models import Parameter, SimpleSystemManagerBackend

from portal_local.aws.access import current
from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround

LOCAL_SESSION = "portal-local"
"""The session name of a role's requests that are not a function's (Lambda names a
function's session after the function)."""


def session_arn(principal_arn: str, function: str = "") -> str:
    """What AWS names the caller of a request signed with a role's session: its
    assumed-role ARN; an IAM user is named by its own ARN."""
    head, _, resource = principal_arn.partition(":role/")
    if not resource:
        return principal_arn
    account = head.rsplit(":", 1)[-1]
    partition = head.split(":")[1]
    role = resource.rsplit("/", 1)[-1]  # the path is not part of a session's ARN
    return f"arn:{partition}:sts::{account}:assumed-role/{role}/{function or LOCAL_SESSION}"


def parameter_writer_not_recorded(patches: Patches, endpoint: Endpoint) -> None:
    """``DescribeParameters`` and ``GetParameterHistory`` answer ``LastModifiedUser``
    ``"N/A"`` for every version. AWS (API reference, ``ParameterHistory`` and
    ``ParameterMetadata``: "Amazon Resource Name (ARN) of the AWS user who last changed
    the parameter"; the user guide's example shows ``arn:aws:iam::111222333444:user/
    Mary-Major``) records the principal who wrote each version, a role's session by its
    assumed-role ARN. Patched: ``PutParameter`` records its caller (the request context
    of :mod:`portal_local.aws.access`: a function's role, the operator, or a principal a
    test signs as) on the version it writes, and both APIs answer it."""
    original_put: Any = SimpleSystemManagerBackend.put_parameter
    original_describe: Any = Parameter.describe_response_object

    def put_parameter(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        written = original_put(backend, name, *args, **kwargs)
        context = current()
        principal = context.principal if context else endpoint.principals.operator
        written.last_modified_user = session_arn(principal.arn, principal.function)
        return written

    def describe_response_object(parameter: Any, *args: Any, **kwargs: Any) -> Any:
        described = original_describe(parameter, *args, **kwargs)
        described["LastModifiedUser"] = getattr(parameter, "last_modified_user", "N/A")
        return described

    patches.set(SimpleSystemManagerBackend, "put_parameter", put_parameter)
    patches.set(Parameter, "describe_response_object", describe_response_object)


WORKAROUNDS: tuple[Workaround, ...] = (parameter_writer_not_recorded,)
