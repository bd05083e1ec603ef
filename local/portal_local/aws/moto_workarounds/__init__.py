"""Every moto 5.2.5 workaround of the local AWS endpoint, one module per concern.

The endpoint (:mod:`portal_local.aws.moto_endpoint`) installs every module's
``WORKAROUNDS`` when it starts, in the order of :data:`MODULES` (the registry: each
concern listed once), and undoes them when it stops. Each workaround's docstring says
what moto gets wrong and what AWS does; each has a test in
``tests/local_aws/moto_workarounds/test_<module>.py`` showing the raw moto behaviour,
which fails (and says: delete the workaround) once a moto upgrade fixes it.

* :mod:`.lambda_` -- Lambda runs the deployed handlers; Invoke's qualifier; error names;
* :mod:`.stepfunctions` -- starting executions, the interpreter's calls and error names;
* :mod:`.stepfunctions_quotas` -- the payload and history quotas;
* :mod:`.distributed_map` -- child executions, map runs, failure thresholds;
* :mod:`.status_events` -- execution status changes delivered to EventBridge rules;
* :mod:`.secretsmanager` -- version stages and values;
* :mod:`.policies` -- bucket and event bus policies evaluated;
* :mod:`.events` -- a rule's Lambda target invoked;
* :mod:`.ssm` -- who wrote each parameter version;
* :mod:`.iam` -- function calls evaluated against their roles; roles' policies;
* :mod:`.cloudformation` -- stack failure and rollback, parameters, rules;
* :mod:`.cloudformation_updates` -- UpdateStack as CloudFormation makes it (order, what
  changes, versions published only when new);
* :mod:`.resource_types` -- the types moto's CloudFormation lacks or gets wrong;
* :mod:`.server` -- moto's server bound in the caller's thread;
* :mod:`.base` -- :class:`Patches`, the :class:`Endpoint` a workaround may use,
  :data:`MOTO_CONFIG`.

Deployments go through moto's own CloudFormation, as a user's ``sam deploy`` goes through
AWS's (:mod:`portal_local.aws.deploy` runs the SAM transform first): its engine
(intrinsics, conditions, dependency order, outputs) is maintained upstream, so this
package only fills its gaps, resource type by resource type (:data:`API_CREATED`),
instead of keeping a CloudFormation engine of our own.
"""

from __future__ import annotations

from portal_local.aws.moto_workarounds import (
    cloudformation,
    cloudformation_updates,
    distributed_map,
    events,
    iam,
    lambda_,
    policies,
    resource_types,
    secretsmanager,
    ssm,
    status_events,
    stepfunctions,
    stepfunctions_quotas,
)
from portal_local.aws.moto_workarounds.base import MOTO_CONFIG, Endpoint, Patches, Workaround
from portal_local.aws.moto_workarounds.resource_types import API_CREATED, not_deployable
from portal_local.aws.moto_workarounds.server import server_bound_here
from portal_local.aws.moto_workarounds.stepfunctions_quotas import (
    MAX_HISTORY_EVENTS,
    MAX_PAYLOAD_BYTES,
)

__all__ = [
    "API_CREATED",
    "MAX_HISTORY_EVENTS",
    "MAX_PAYLOAD_BYTES",
    "MODULES",
    "MOTO_CONFIG",
    "WORKAROUNDS",
    "Patches",
    "install",
    "not_deployable",
    "server_bound_here",
]

MODULES = (
    lambda_,
    stepfunctions,
    stepfunctions_quotas,
    distributed_map,
    status_events,
    secretsmanager,
    policies,
    events,
    ssm,
    iam,
    cloudformation,
    cloudformation_updates,
    resource_types,
)
"""The registry: every module whose ``WORKAROUNDS`` the endpoint installs, in order (a
later patch of the same attribute wraps an earlier one)."""

WORKAROUNDS: tuple[Workaround, ...] = tuple(w for m in MODULES for w in m.WORKAROUNDS)


def install(patches: Patches, endpoint: Endpoint) -> None:
    """Install every workaround (``patches.undo()`` removes them)."""
    for workaround in WORKAROUNDS:
        workaround(patches, endpoint)
