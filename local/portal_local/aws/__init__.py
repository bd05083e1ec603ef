"""A local AWS endpoint (moto) that runs the project's real Lambda handlers and workflow.

* :mod:`portal_local.aws.moto_endpoint` -- :class:`LocalAwsEndpoint`: moto's server, the
  Lambda runtime behind it;
* :mod:`portal_local.aws.moto_workarounds` -- every change to moto's behaviour, one
  module per concern (each workaround with its raw-moto test), listed in its registry;
* :mod:`portal_local.aws.access` -- who calls what, and what IAM would say about it;
* :mod:`portal_local.aws.lambda_runtime` -- warm worker processes that run handlers like
  Lambda execution environments (:mod:`~portal_local.aws.lambda_process`: one worker;
  :mod:`~portal_local.aws.lambda_code`: packages and function specs);
* :mod:`portal_local.aws.deploy` -- ``deploy_stack``: package, the real SAM transform,
  then CloudFormation ``CreateStack`` on the endpoint;
* :mod:`portal_local.aws.up` -- ``portal-local up``.

Nothing is imported here, so importing a submodule does not pull moto in.
"""
