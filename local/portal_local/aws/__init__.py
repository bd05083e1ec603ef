"""A local AWS endpoint (moto) that runs the project's real Lambda handlers and workflow.

* :mod:`portal_local.aws.moto_endpoint` -- :class:`LocalAwsEndpoint`, the only module
  that imports moto;
* :mod:`portal_local.aws.lambda_runtime` -- warm worker processes that run handlers like
  Lambda execution environments;
* :mod:`portal_local.aws.deploy` -- ``deploy_stack``: a SAM ``template.yaml`` into the
  endpoint, the way CloudFormation + SAM would;
* :mod:`portal_local.aws.up` -- ``portal-automation local up``.

Nothing is imported here, so importing a submodule does not pull moto in.
"""
