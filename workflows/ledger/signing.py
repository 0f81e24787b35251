"""The key that signs the ledger's checkpoints, and the checkpoint note it signs.

The key is an Ed25519 private key in a PEM file named by ``AUDIT_SIGNING_KEY_FILE``, never in
the database: whoever can rewrite the database still cannot sign a rewritten history. In
development and tests a missing file is created on first use; production refuses to run
without one (``workflows.checks``).

A checkpoint is a C2SP signed note (https://c2sp.org/tlog-checkpoint)::

    <origin>
    <tree size>
    <root hash, base64>
    time <ISO 8601 UTC>

signed as a whole; the signature line is ``— <origin> <base64(key id ‖ signature)>`` where the
key id is the first 4 bytes of SHA-256(origin ‖ "\\n" ‖ 0x01 ‖ public key), as in the note format.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ED25519_ALGORITHM = b"\x01"


class SigningKeyMissing(ImproperlyConfigured):
    pass


def _key_path() -> Path:
    value = getattr(settings, "AUDIT_SIGNING_KEY_FILE", "")
    if not value:
        raise SigningKeyMissing(
            "AUDIT_SIGNING_KEY_FILE is not set: the audit ledger cannot sign checkpoints "
            "(审计账本签名密钥文件未配置). Create one with: python manage.py audit_key --create FILE"
        )
    return Path(value)


def generate_key_file(path: Path) -> Ed25519PrivateKey:
    """Write a new private key to ``path`` (mode 0600); refuses to overwrite a file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


@lru_cache(maxsize=4)
def _load(path: str, autogenerate: bool) -> Ed25519PrivateKey:
    file = Path(path)
    if not file.exists():
        if not autogenerate:
            raise SigningKeyMissing(f"the audit signing key file {file} does not exist (审计账本签名密钥文件不存在)")
        try:
            return generate_key_file(file)
        except FileExistsError:  # another process made it meanwhile
            pass
    key = serialization.load_pem_private_key(file.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing(f"{file} is not an Ed25519 private key (签名密钥必须是 Ed25519 私钥)")
    return key


def private_key() -> Ed25519PrivateKey:
    return _load(str(_key_path()), bool(getattr(settings, "AUDIT_SIGNING_KEY_AUTOCREATE", False)))


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def known_public_keys() -> list[Ed25519PublicKey]:
    """The ledger's key and the public keys of the keys it was rotated from
    (``AUDIT_PREVIOUS_PUBLIC_KEY_FILES``): older checkpoints stay verifiable."""
    keys = [public_key()]
    for name in getattr(settings, "AUDIT_PREVIOUS_PUBLIC_KEY_FILES", []) or []:
        keys.append(load_public_key(Path(name).read_bytes()))
    return keys


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(origin: str, key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(origin.encode() + b"\n" + ED25519_ALGORITHM + raw_public_key(key)).digest()[:4]


def origin() -> str:
    return settings.AUDIT_LOG_ORIGIN


@dataclass(frozen=True)
class PublicKeyInfo:
    origin: str
    key_id: str  # hex
    public_key: str  # base64 of the 32 raw bytes
    pem: str
    # The verifier key string of the note format: <name>+<key id hex>+<base64(0x01 ‖ key)>.
    verifier_key: str


def public_key_info(key: Ed25519PublicKey | None = None) -> PublicKeyInfo:
    key = key or public_key()
    name = origin()
    raw = raw_public_key(key)
    kid = key_id(name, key)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return PublicKeyInfo(
        origin=name,
        key_id=kid.hex(),
        public_key=base64.b64encode(raw).decode(),
        pem=pem,
        verifier_key=f"{name}+{kid.hex()}+{base64.b64encode(ED25519_ALGORITHM + raw).decode()}",
    )


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def note_body(*, origin: str, tree_size: int, root_hash: bytes, timestamp: dt.datetime) -> str:
    """The signed text of a checkpoint."""
    return f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\ntime {format_time(timestamp)}\n"


def sign(body: str) -> str:
    """base64 of the Ed25519 signature of ``body``."""
    return base64.b64encode(private_key().sign(body.encode())).decode()


def verify(body: str, signature_b64: str, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), body.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def signed_note(body: str, *, origin: str, key_id_hex: str, signature_b64: str) -> str:
    """The full note: body, a blank line, the signature line."""
    blob = bytes.fromhex(key_id_hex) + base64.b64decode(signature_b64)
    return f"{body}\n\u2014 {origin} {base64.b64encode(blob).decode()}\n"


def load_public_key(pem_or_raw: bytes) -> Ed25519PublicKey:
    """A public key from PEM, or from the 32 raw bytes (also base64 of them)."""
    text = pem_or_raw.strip()
    if text.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(text)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    raw = text if len(text) == 32 else base64.b64decode(text)
    return Ed25519PublicKey.from_public_bytes(raw)
