"""HTTP(S) plumbing: an accept loop, one thread per connection, keep-alive, TLS.

The accept loop owns the listening socket so that it can close it while a portal in
``down_mode="refuse"`` restarts (clients then see ECONNREFUSED) and bind the same port
again afterwards. TLS handshakes run in the connection threads, never in the loop.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from contextlib import suppress
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from portal_local.emulator import pages
from portal_local.emulator.http_messages import Request, Response, html_response

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.01  # how quickly the loop notices a restart (refuse mode) or a stop
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0  # keep-alive connections idle longer than this are closed
MAX_BODY_BYTES = 10 * 1024 * 1024
DRIP_PIECES = 40  # a dripped body goes out in this many pieces

App = Callable[[Request], Response]


def _pairs_to_dict(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], tuple[str, ...]]:
    values: dict[str, str] = {}
    for key, value in pairs:
        values.setdefault(key, value)  # the first value wins, like getParameter()
    return values, tuple(values)


def _parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str]]:
    header = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    pairs: list[tuple[str, str]] = []
    if not message.is_multipart():
        return pairs
    for part in message.walk():
        name = part.get_param("name", header="content-disposition")
        if part.is_multipart() or not isinstance(name, str):
            continue
        content = part.get_payload(decode=True)
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else ""
        pairs.append((name, text))
    return pairs


def parse_form(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """Form fields of a body: urlencoded or multipart; anything else has none."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    if media_type == "multipart/form-data":
        return _parse_multipart(content_type, body)
    return []


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PortalEmulator/1.0"
    sys_version = ""
    owner: HttpServer  # set on the per-server subclass

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the emulator keeps its own request log."""

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _build_request(self, body: bytes) -> Request:
        url = urlsplit(self.path)
        query, query_keys = _pairs_to_dict(parse_qsl(url.query, keep_blank_values=True))
        form, body_keys = _pairs_to_dict(parse_form(self.headers.get("Content-Type", ""), body))
        names = tuple(name.lower() for name in self.headers)
        return Request(
            method=self.command.upper(),
            path=unquote(url.path) or "/",
            query=query,
            form=form,
            headers={name.lower(): value for name, value in self.headers.items()},
            client_ip=str(self.client_address[0]),
            is_tls=self.owner.is_tls,
            query_keys=query_keys,
            body_keys=body_keys,
            header_names=tuple(dict.fromkeys(names)),
            body=body,
        )

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._write(html_response(pages.status_page(400), 400))
            return
        try:
            response = self.owner.app(self._build_request(body))
        except Exception:
            logger.exception("emulator failed on %s %s", self.command, self.path)
            response = html_response(pages.status_page(500), 500)
        if response.reset:
            self._reset()
        else:
            self._write(response)

    def _write(self, response: Response) -> None:
        if response.stream is not None:
            self.close_connection = True  # the body ends where the connection does
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if response.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.stream is not None:
            for piece in response.stream():
                if self.owner.stopping:
                    return
                self.wfile.write(piece)
        elif response.drip_seconds > 0:
            self._drip(response.body, response.drip_seconds)
        else:
            self.wfile.write(response.body)

    def _drip(self, body: bytes, seconds: float) -> None:
        size = max(1, -(-len(body) // DRIP_PIECES))
        starts = range(0, len(body), size)
        for start in starts:
            if self.owner.wait_stopping(seconds / len(starts)):
                return
            self.wfile.write(body[start : start + size])
            self.wfile.flush()

    def _reset(self) -> None:
        """Abort the connection: SO_LINGER 0 makes the close send a TCP RST."""
        self.close_connection = True
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class HttpServer:
    """Serves ``app`` on ``host:port``; ``should_listen()`` False closes the listener."""

    def __init__(
        self,
        app: App,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        should_listen: Callable[[], bool] = lambda: True,
        on_connect: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        # Called for each connection accepted, before its TLS handshake (a trap that logs
        # every attempt, even one that never gets as far as a request).
        self._on_connect = on_connect
        self.host = host
        self.port = port
        self._ssl_context = ssl_context
        self._should_listen = should_listen
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._loop: threading.Thread | None = None
        self._handler = cast(
            "type[_RequestHandler]",
            type("_BoundRequestHandler", (_RequestHandler,), {"owner": self}),
        )

    @property
    def is_tls(self) -> bool:
        return self._ssl_context is not None

    @property
    def is_listening(self) -> bool:
        return self._listener is not None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait_stopping(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless the server stops first (True: it stops)."""
        return self._stopping.wait(seconds)

    def start(self) -> None:
        self._listener = self._bind()
        self.port = self._listener.getsockname()[1]
        self._loop = threading.Thread(target=self._accept_loop, name="emulator-accept", daemon=True)
        self._loop.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stopping.set()
        if self._loop is not None:
            self._loop.join(timeout)
        self._close_listener()
        self._drop_connections()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout / max(len(threads), 1))

    def _bind(self) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(128)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        return listener

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def _drop_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                # the plain socket shutdown, also for an SSLSocket mid-handshake (its own
                # shutdown() would drop the SSL object under the thread using it)
                socket.socket.shutdown(connection, socket.SHUT_RDWR)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            listen = self._should_listen()
            if listen and self._listener is None:
                try:
                    self._listener = self._bind()
                except OSError:
                    self._stopping.wait(POLL_SECONDS)
                    continue
            elif not listen and self._listener is not None:
                self._close_listener()
                self._drop_connections()
            listener = self._listener
            if listener is None:
                self._stopping.wait(POLL_SECONDS)
                continue
            try:
                ready, _, _ = select.select([listener], [], [], POLL_SECONDS)
                if not ready:
                    continue
                raw, address = listener.accept()
            except (OSError, ValueError):
                continue
            thread = threading.Thread(
                target=self._serve_connection,
                args=(raw, address),
                daemon=True,
                name="emulator-connection",
            )
            with self._lock:
                self._threads.add(thread)
            thread.start()
        self._close_listener()

    def _track(self, old: socket.socket | None, new: socket.socket | None) -> None:
        with self._lock:
            if old is not None:
                self._connections.discard(old)
            if new is not None:
                self._connections.add(new)

    def _serve_connection(self, raw: socket.socket, address: tuple[str, int]) -> None:
        connection = raw
        self._track(None, raw)
        if self._on_connect is not None:
            self._on_connect()
        try:
            raw.settimeout(HANDSHAKE_TIMEOUT)
            # headers and body are two writes: without NODELAY, Nagle + delayed ACK add 40 ms
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ssl_context is not None:
                # wrap first, handshake after: the tracked socket is then the one that
                # a stop (or a refuse-mode restart) can shut down during the handshake
                connection = self._ssl_context.wrap_socket(
                    raw, server_side=True, do_handshake_on_connect=False
                )
                self._track(raw, connection)
                if self._stopping.is_set():
                    return
                connection.do_handshake()
            connection.settimeout(IDLE_TIMEOUT)
            if not self._stopping.is_set():
                self._handler(connection, address, cast(Any, self))
        except OSError:
            pass  # handshake refused by the client, connection reset, shut down on stop
        except Exception:
            logger.exception("emulator connection failed")
        finally:
            self._track(connection, None)
            self._track(raw, None)
            with suppress(OSError):
                connection.close()
            with self._lock:
                self._threads.discard(threading.current_thread())
