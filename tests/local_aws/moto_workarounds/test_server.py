"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.server` exists for."""

from __future__ import annotations

import socket
import threading

import pytest
from portal_local.aws.moto_workarounds.server import server_bound_here


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # its death
def test_raw_moto_server_bound_here() -> None:
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=taken.getsockname()[1])
        starting = threading.Thread(target=server.start, daemon=True)
        starting.start()
        starting.join(3.0)
        assert starting.is_alive()  # start() never returns (the daemon thread is left)
    with socket.socket() as again:
        again.bind(("127.0.0.1", 0))
        again.listen()
        with pytest.raises(OSError, match="cannot listen"):
            server_bound_here("127.0.0.1", again.getsockname()[1])
