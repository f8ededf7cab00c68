"""The proof for issue 15: a real server under restart, fuzzing, every attack, and a mixed soak, as a table.

    ./build.sh soak            # the full soak: 100,000 fuzzed messages, 1,000 calls killed mid-flight, 10 minutes
    ./build.sh soak --short    # what CI runs: a few thousand fuzzed messages and a 30-second soak

Every row says what was measured and PASS or MISS; the exit status is 1 when any row is a MISS. Rows about
latency or rate ("MISS (timing)") count in the full soak only: ``--short`` runs in CI on shared machines, where
they depend on the load (tests never assert timings).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.soak_attacks import ATTACKS  # noqa: E402
from bench.soak_fuzz import fuzz  # noqa: E402
from bench.soak_mixed import chromium, mixed_soak, restart_under_load  # noqa: E402
from bench.soak_overload import OVERLOAD_ATTACKS  # noqa: E402
from bench.soak_support import SERVER_ARGS, SOAK_APP, LiveServer, Row, print_table  # noqa: E402

FULL = {"calls": 1_000, "fuzz": 100_000, "connections": 40, "scale": 1.0, "soak": 600.0}
SHORT = {"calls": 300, "fuzz": 4_000, "connections": 10, "scale": 0.1, "soak": 30.0}


async def soak(sizes: dict[str, float]) -> list[Row]:
    rows: list[Row] = []

    def report(new: list[Row]) -> None:
        rows.extend(new)
        print_table(new)

    async with chromium() as context:
        report(await restart_under_load(context, int(sizes["calls"])))
        with LiveServer(SOAK_APP, *SERVER_ARGS) as server:
            report(await fuzz(server, int(sizes["fuzz"]), int(sizes["connections"])))
            for attack in ATTACKS + OVERLOAD_ATTACKS:
                report(await attack(server, sizes["scale"]))
        report(await mixed_soak(context, sizes["soak"]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hostile-input and overload soak against real servers and pages.")
    parser.add_argument("--short", action="store_true", help="the CI version (about a minute and a half)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows = asyncio.run(soak(SHORT if args.short else FULL))
    print(f"\nsoak ({'short' if args.short else 'full'}) in {time.monotonic() - started:.0f} s:\n", flush=True)
    print_table(rows)
    missed = [row for row in rows if not row.passed]
    enforced = [row for row in missed if not (args.short and row.timing)]
    print(f"\n{len(rows) - len(missed)} PASS, {len(missed)} MISS"
          + (f" ({len(missed) - len(enforced)} timing, not enforced by --short)" if len(enforced) < len(missed) else ""),
          flush=True)
    return 1 if enforced else 0


if __name__ == "__main__":
    sys.exit(main())
