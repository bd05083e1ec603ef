"""Server-side token store: opaque tokens bound to the shared key they were issued under
(by its id: a machine accepts a token only while it runs that key, as a shared-key portal
does), and to a referer or an IP."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from typing import Literal, cast

from portal_local.emulator.http_messages import Request

ClientType = Literal["referer", "ip", "requestip"]
# Why a token is refused: not issued here, signed with a key the machine no longer runs,
# past its expiry, or presented by another referer or address.
TokenRefusal = Literal["unknown", "key", "expired", "client"]
CLIENT_TYPES: tuple[str, ...] = ("referer", "ip", "requestip")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, repr=False)
class TokenRequest:
    """What a generateToken request asks for (a portal's and a server's alike)."""

    username: str
    password: str
    client: ClientType
    referer: str | None  # the referer a "referer" token is bound to
    ip: str | None  # the address an "ip" or "requestip" token is bound to
    minutes: int


def token_request(request: Request) -> TokenRequest | str:
    """The fields of a generateToken request, or what is wrong with them. Fields come
    from the body or, as servlets merge them, the query string: the request log
    (query_keys) is what shows a client that puts credentials in a URL."""
    username, password = request.param("username"), request.param("password")
    if not username:
        return "'username' must be specified."
    if not password:
        return "'password' must be specified."
    client = request.param("client") or "referer"
    if client not in CLIENT_TYPES:
        return f"Invalid client type '{client}'."
    referer = request.param("referer") or None
    ip = request.param("ip") or None
    if client == "referer" and referer is None:
        return "'referer' must be specified."
    if client == "ip" and ip is None:
        return "'ip' must be specified."
    if client == "requestip":
        ip = request.client_ip
    try:
        minutes = int(request.param("expiration") or 60)
    except ValueError:
        return "Invalid expiration."
    if minutes < 1:
        return "Invalid expiration."
    return TokenRequest(
        username,
        password,
        cast(ClientType, client),  # checked against CLIENT_TYPES above
        referer if client == "referer" else None,
        ip if client != "referer" else None,
        minutes,
    )


@dataclass(frozen=True)
class Token:
    value: str
    username: str
    client: ClientType
    referer: str | None
    ip: str | None
    expires_ms: int
    key_id: int

    def refusal(self, *, referer: str | None, ip: str, key_id: int) -> TokenRefusal | None:
        """Why a request carrying this token is not authenticated by it (None: it is)."""
        if self.key_id != key_id:
            return "key"
        if self.expires_ms <= now_ms():
            return "expired"
        if self.client == "referer":
            return None if referer is not None and referer == self.referer else "client"
        return None if ip == self.ip else "client"


class TokenStore:
    """Not thread-safe by itself: the owning Portal's lock is held around every call."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        # Every value ever issued, for tests that search outputs for leaked tokens.
        self.issued: list[str] = []

    def issue(
        self,
        *,
        username: str,
        client: ClientType,
        referer: str | None,
        ip: str | None,
        minutes: int,
        key_id: int,
        live_key_ids: set[int],
    ) -> Token:
        self._prune(live_key_ids)
        token = Token(
            value=secrets.token_urlsafe(96),
            username=username,
            client=client,
            referer=referer,
            ip=ip,
            expires_ms=now_ms() + minutes * 60_000,
            key_id=key_id,
        )
        self._tokens[token.value] = token
        self.issued.append(token.value)
        return token

    def lookup(self, value: str) -> Token | None:
        return self._tokens.get(value)

    def expire_all(self) -> None:
        past = now_ms() - 1
        self._tokens = {v: replace(t, expires_ms=past) for v, t in self._tokens.items()}

    def __len__(self) -> int:
        return len(self._tokens)

    def _prune(self, live_key_ids: set[int]) -> None:
        # Forget tokens that no machine can accept any more (their key neither runs nor
        # is stored, or they expired an hour ago), so a long demo stays small. A forgotten
        # token answers 498 like any unknown one.
        horizon = now_ms() - 3_600_000
        self._tokens = {
            v: t
            for v, t in self._tokens.items()
            if t.key_id in live_key_ids and t.expires_ms > horizon
        }
