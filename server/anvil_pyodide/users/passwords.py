"""Password hashes: the standard library's scrypt (memory-hard), a random salt per hash.

A hash is ``scrypt$N$r$p$SALT$KEY`` (salt and key in URL-safe base64), so the cost can be raised
later without breaking old hashes. Passwords are never stored or logged.

Example:
    >>> stored = hash_password("correct horse")
    >>> stored.startswith("scrypt$16384$8$1$"), stored != hash_password("correct horse")
    (True, True)
    >>> verify_password("correct horse", stored), verify_password("wrong", stored), verify_password("x", "junk")
    (True, False, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

#: scrypt's cost: N=2**14, r=8 uses 16 MiB and some tens of milliseconds per hash.
N, R, P = 2 ** 14, 8, 1
KEY_BYTES = 32
SALT_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024,
                          dklen=KEY_BYTES)


def hash_password(password: str) -> str:
    """A new salted hash of ``password``."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(password, salt, N, R, P))}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored`` (compared in constant time); False for a malformed hash."""
    try:
        scheme, n, r, p, salt, key = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password, _unb64(salt), int(n), int(r), int(p))
        return hmac.compare_digest(derived, _unb64(key))
    except (ValueError, TypeError):
        return False


#: Compared against when no account has the address, so a wrong address costs as long as a wrong password.
DUMMY_HASH = hash_password(secrets.token_hex(16))
