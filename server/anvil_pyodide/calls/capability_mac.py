"""MACs for capabilities: an HMAC over the canonical JSON of the base scope, keyed per session.

Example:
    >>> secret = b"k" * 32
    >>> mac = sign_scope(secret, ["doc", 7])
    >>> verify_scope(secret, ["doc", 7], mac), verify_scope(secret, ["doc", 8], mac)
    (True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

MAC_VERSION = "v1"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def sign_scope(secret: bytes, base_scope: list[Any]) -> str:
    digest = hmac.new(secret, canonical_json(base_scope), hashlib.sha256).hexdigest()
    return f"{MAC_VERSION}:{digest}"


def verify_scope(secret: bytes, base_scope: list[Any], mac: Any) -> bool:
    if not isinstance(mac, str):
        return False
    return hmac.compare_digest(sign_scope(secret, base_scope), mac)
