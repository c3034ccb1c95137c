"""Bearer keys: the write key guards changes; reads are open unless a read key is set, and
then either key reads."""

from __future__ import annotations

import hmac
from enum import StrEnum

from pydantic import SecretStr

from service.errors import ApiError, ReadOnlyReplicaError
from service.settings import Settings

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="iqtibas"'}


class Access(StrEnum):
    READ = "read"
    WRITE = "write"


def _unauthorized(message: str) -> ApiError:
    return ApiError("unauthorized", message, headers=_CHALLENGE)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _matches(token: str, key: SecretStr | None) -> bool:
    if key is None:
        return False
    # bytes, because compare_digest refuses str with non-ASCII characters
    return hmac.compare_digest(token.encode("utf-8"), key.get_secret_value().encode("utf-8"))


class Authorizer:
    def __init__(self, settings: Settings) -> None:
        self._write_key = settings.api_key if _is_set(settings.api_key) else None
        self._read_key = settings.read_api_key if _is_set(settings.read_api_key) else None
        self._open_writes = settings.allow_open_writes
        self._read_only = settings.read_only
        self._writer_url = settings.writer_url

    @property
    def reads_need_key(self) -> bool:
        return self._read_key is not None

    @property
    def writes_need_key(self) -> bool:
        return self._write_key is not None

    @property
    def writes_refused(self) -> bool:
        return self._read_only or (self._write_key is None and not self._open_writes)

    def check(self, access: Access, authorization: str | None) -> None:
        if access is Access.WRITE:
            self._check_write(bearer_token(authorization))
        else:
            self._check_read(bearer_token(authorization))

    def _check_write(self, token: str | None) -> None:
        if self._read_only:
            # before the key: a replica may have no write key at all, and whatever the key,
            # the answer is the same: not here
            raise ReadOnlyReplicaError(self._writer_url)
        if self._write_key is None:
            if self._open_writes:
                return
            raise ApiError(
                "writes_disabled",
                "writes are disabled because no write key is configured: set IQTIBAS_API_KEY "
                "and send 'Authorization: Bearer <key>', or set IQTIBAS_ALLOW_OPEN_WRITES=true "
                "to accept writes without a key (local use only)",
            )
        if token is None:
            raise _unauthorized(
                "this request changes the index: send 'Authorization: Bearer <key>'"
            )
        if not _matches(token, self._write_key):
            raise _unauthorized("the bearer key is not the write key")

    def _check_read(self, token: str | None) -> None:
        if self._read_key is None:
            return
        if token is None:
            raise _unauthorized("reading needs a key: send 'Authorization: Bearer <key>'")
        # evaluate both comparisons so that timing does not tell which key was close
        read_ok = _matches(token, self._read_key)
        write_ok = _matches(token, self._write_key)
        if not (read_ok or write_ok):
            raise _unauthorized("the bearer key is neither the read key nor the write key")


def _is_set(key: SecretStr | None) -> bool:
    # an empty IQTIBAS_API_KEY= in a .env file means "no key", not "the empty key"
    return key is not None and bool(key.get_secret_value())
