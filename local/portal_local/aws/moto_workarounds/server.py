"""moto's server, bound in the caller's thread."""

from __future__ import annotations

from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from portal_local.aws.access import Principals, with_request_context


def server_bound_here(host: str, port: int, principals: Principals | None = None) -> Any:
    """moto's ``ThreadedMotoServer`` binds in its own thread, where werkzeug answers a taken
    port with ``sys.exit(1)``: the thread dies and ``start()`` waits forever. The same WSGI
    app on a threaded werkzeug server bound in the calling thread makes it an ``OSError``.
    With ``principals``, each request is served in its context (access.with_request_context).
    """
    app: Any = DomainDispatcherApplication(create_backend_app)
    if principals is not None:
        app = with_request_context(app, principals)
    try:
        return make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    except SystemExit as exc:  # werkzeug printed the reason (address in use...) to stderr
        raise OSError(f"cannot listen on {host}:{port}") from exc
