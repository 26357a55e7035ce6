"""Ledger keys: every ledger signs the bundles it writes with its own Ed25519 key, and a
receiver pins each sender's public key the first time it takes one of its bundles in (trust
on first use), as SSH's known_hosts does; git's signed commits and Fossil's signed manifests
sign, in the same way, a digest of content that is itself hash-chained.

The key pair: the private key is the 32-byte Ed25519 seed (RFC 8032) kept in the ledger's
``meta`` (``signing_key``, hex), made when the ledger is created (migration m019, which
gave every existing ledger one too); the public key is derived from it here.

What is signed (``bundle.content_digest``): the message
``b"ledger-bundle-signature-1\\n" + SHA-256(content)``, where ``content`` is, for each table
of ``bundle.TABLES`` in that order, for each of its rows in the order they are stored
(``order by rowid``), the UTF-8 of ``json.dumps([table, *row], ensure_ascii=False,
separators=(",", ":"), allow_nan=False)`` followed by ``\\n``, with the columns of
``TABLES`` and the values as SQLite holds them (integer, real, text or null; a blob is never
in a bundle, and a bundle holding one is refused as badly signed). Every row is covered
except one: the ``info`` row ``signature`` itself (the 64-byte signature, hex). The sender's
public key is the ``info`` row ``signed_by`` (hex), covered like every other row, and so is
``from_id``: the signature binds the key to the ledger identity it speaks for.

The fingerprint, read over the phone to compare a key: the first 16 bytes of SHA-256 of the
32-byte public key, as 32 lowercase hex digits in 8 groups of 4 (``3f2a 91c0 ...``).

PyNaCl (libsodium) does the Ed25519 arithmetic, imported inside these functions only: by the
sync commands that sign or verify, never at start-up. Not ``cryptography``: its Rust core
needs bcryptprimitives.dll, which Wine 8 lacks, so the Windows build could not be checked
under Wine; the keys and signatures are the same bytes (Ed25519 is deterministic).
"""

from __future__ import annotations

import hashlib
import re

PREFIX = b"ledger-bundle-signature-1\n"
_HEX = re.compile(r"[0-9a-f]+")


def _private(seed_hex: str):  # -> nacl.signing.SigningKey
    from nacl.signing import SigningKey

    return SigningKey(bytes.fromhex(seed_hex))


def public_key(seed_hex: str) -> str:
    """The public key (32 bytes, hex) of a ledger's private key."""
    return _private(seed_hex).verify_key.encode().hex()


def sign(seed_hex: str, digest: bytes) -> str:
    """The signature (64 bytes, hex) of a bundle's content digest."""
    return _private(seed_hex).sign(PREFIX + digest).signature.hex()


def verify(public_hex: str, signature_hex: str, digest: bytes) -> bool:
    """Whether ``signature_hex`` is the signature of the digest by that public key."""
    from nacl.exceptions import BadSignatureError, CryptoError
    from nacl.signing import VerifyKey

    try:
        key = VerifyKey(bytes.fromhex(public_hex))
        key.verify(PREFIX + digest, bytes.fromhex(signature_hex))
    except (BadSignatureError, CryptoError, ValueError, TypeError):
        return False
    return True


def fingerprint(public_hex: str) -> str:
    """A public key's fingerprint: 8 groups of 4 hex digits, to read over the phone."""
    h = hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:32]
    return " ".join(h[i:i + 4] for i in range(0, 32, 4))


def normalise(typed: str) -> str | None:
    """A fingerprint as typed (spaces, dashes, colons, capitals allowed) in its own form;
    None if it is not one."""
    digits = re.sub(r"[\s:\-]", "", typed).lower()
    if len(digits) != 32 or not _HEX.fullmatch(digits):
        return None
    return " ".join(digits[i:i + 4] for i in range(0, 32, 4))
