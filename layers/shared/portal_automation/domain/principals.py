"""Whether a principal is one the operator named (``RequestPrincipalArns``).

The names are ARN patterns as IAM's ``ArnLike`` reads them (the bus policy compares
``aws:PrincipalArn`` with them): ``*`` and ``?`` match within each of an ARN's six
colon-separated parts. Parameter Store names a version's writer by the ARN of the
caller: an IAM user's own ARN, or a role session's ``arn:aws:sts::<account>:assumed-role/
<role>/<session>``, which is the role ``arn:aws:iam::<account>:role/<role>``. A session's
ARN drops the role's path, so a role named with a path (``role/ops/admin``) cannot be
recognised from it: such a role is never taken for a named one (name it without a path,
or name the role by a pattern without one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SESSION = re.compile(r"^arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/[^/]+$")


def session_role(principal_arn: str) -> str | None:
    """The role ARN of a role session's assumed-role ARN (None: not a role session)."""
    match = _SESSION.match(principal_arn)
    if match is None:
        return None
    partition, account, role = match.groups()
    return f"arn:{partition}:iam::{account}:role/{role}"


def is_named(principal_arn: str, patterns: Iterable[str]) -> bool:
    """Whether ``principal_arn`` (a user, or a role session) is one of ``patterns``."""
    candidate = session_role(principal_arn) or principal_arn
    return any(_arn_like(pattern, candidate) for pattern in patterns if pattern)


def _arn_like(pattern: str, arn: str) -> bool:
    wanted, parts = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(parts) != 6:
        return False
    return all(_glob(w, p) for w, p in zip(wanted, parts, strict=True))


def _glob(pattern: str, value: str) -> bool:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.DOTALL) is not None
