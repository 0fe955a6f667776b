"""Sealed anonymous answers: AES-256-GCM with a key the database does not hold.

The key comes from `CADENCE_SECRET_KEY`, or (SQLite only, when that is unset) from a file
beside the database file, generated once with owner-only permissions. Every sealed answer of
a group is padded to the same length and carries no time (AES-GCM with a random nonce; Fernet
would store its creation time in clear), so what the database holds says nothing about who
wrote it, when, or how much."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import struct
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cadence.domain.rights import ERASED_PREFIX

MIN_SECRET_LENGTH = 32
KEY_FILE_SUFFIX = ".secret-key"
_NONCE = 12
_TAG = 16  # AES-GCM's authentication tag, after the ciphertext
_LENGTH = struct.Struct(">I")
_PAD_STEP = 1024
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class SealError(Exception):
    """No usable key, or a sealed answer that this key cannot open: the message says which."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode("utf-8")
    )


class Sealer:
    """Seals and opens pooled answers; `token` marks a request as answered in the pool without
    naming it to anyone who lacks the key."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise SealError(_too_short())
        self._aead = AESGCM(_derive(secret, b"cadence sealed answer v1"))
        self._mac = _derive(secret, b"cadence pool token v1")

    def seal(self, plaintext: bytes, *, size: int, group: str) -> bytes:
        """Encrypt `plaintext` padded to `size` bytes (rounded up to a whole KiB, more if it
        does not fit), bound to `group` so a row moved to another group will not open."""
        need = _LENGTH.size + len(plaintext)
        size = max(size, need)
        size = -(-size // _PAD_STEP) * _PAD_STEP
        padded = _LENGTH.pack(len(plaintext)) + plaintext + bytes(size - need)
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, padded, group.encode())

    def open(self, sealed: bytes, *, group: str) -> bytes:
        try:
            padded = self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], group.encode())
        except InvalidTag:
            raise SealError(
                "a sealed answer does not open with this CADENCE_SECRET_KEY (was the key "
                "changed while a round was open?)"
            ) from None
        (length,) = _LENGTH.unpack_from(padded)
        return padded[_LENGTH.size : _LENGTH.size + length]

    def reseal(self, sealed: bytes, *, group: str, change: Callable[[bytes], bytes]) -> bytes:
        """`sealed` opened, its plaintext changed by `change` (not longer), and sealed again
        for the same group with a fresh nonce, padded to the same length as before."""
        plaintext = change(self.open(sealed, group=group))
        return self.seal(plaintext, size=len(sealed) - _NONCE - _TAG, group=group)

    def token(self, request_id: int) -> str:
        """A keyed digest of the request: unique per request, unlinkable without the key."""
        return hmac.new(self._mac, f"request:{request_id}".encode(), hashlib.sha256).hexdigest()

    def erased_token(self, slack_id: str) -> str:
        """The stand-in for an erased person's Slack ID: random to anyone without the key, and
        the same for the same ID (so a second erasure knows it was done)."""
        mac = hmac.new(self._mac, f"erased:{slack_id}".encode(), hashlib.sha256).hexdigest()
        return ERASED_PREFIX + mac[:20]


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL, or None (PostgreSQL, in-memory SQLite)."""
    if not database_url.startswith("sqlite"):
        return None
    _, _, rest = database_url.partition(":///")
    path = rest.split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def key_file(database_url: str) -> Path | None:
    """Where the generated key lives when CADENCE_SECRET_KEY is unset: beside the SQLite file."""
    path = sqlite_path(database_url)
    return path.with_name(path.name + KEY_FILE_SUFFIX) if path is not None else None


def missing_key(secret: str, database_url: str) -> str | None:
    """One sentence when this configuration has no way to a sealing key, else None."""
    if secret:
        return None if len(secret) >= MIN_SECRET_LENGTH else _too_short()
    if key_file(database_url) is None:
        return (
            "CADENCE_SECRET_KEY is not set: with PostgreSQL (or an in-memory database) every "
            "process must seal anonymous answers with the same key, so set one in .env "
            f"(generate it with {GENERATE_HINT}) and keep it out of the database's backups."
        )
    return None


def _too_short() -> str:
    return (
        f"CADENCE_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters; "
        f"generate one with {GENERATE_HINT}."
    )


def load_sealer(secret: str, database_url: str) -> Sealer:
    """The sealer for this configuration, generating the SQLite key file on first use."""
    problem = missing_key(secret, database_url)
    if problem:
        raise SealError(problem)
    if secret:
        return Sealer(secret)
    path = key_file(database_url)
    assert path is not None  # noqa: S101 - missing_key checked it
    return Sealer(_read_or_create(path))


def _read_or_create(path: Path) -> str:
    if not path.exists():
        # Written whole under another name, then linked into place: a process starting at the
        # same moment either sees the complete file or loses the race to create it.
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_urlsafe(32) + "\n")
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            tmp.unlink()
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise SealError(
            f"{path} does not hold a usable key; restore it from your backup "
            "(without it, pooled anonymous answers cannot be opened)."
        )
    return secret
