"""Run as a separate process by the contract tests: writes N session keys one save at a time.

    python store_writer.py STORE_URL TOKEN PREFIX N
"""

from __future__ import annotations

import asyncio
import sys

from anvil_pyodide.store import open_store


async def write(url: str, token: str, prefix: str, count: int) -> None:
    async with open_store(url) as store:
        for i in range(count):
            if not await store.save_session(token, {f"{prefix}{i}": str(i)}, []):
                raise SystemExit(f"session {token} is gone")


if __name__ == "__main__":
    asyncio.run(write(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
