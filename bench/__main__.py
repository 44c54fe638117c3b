"""Run the benchmarks in order, each in its own process, then the memory table.

python -m bench              # all of them
python -m bench ranking      # only some, by module name
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.common import RESULTS, Table

BENCHMARKS = ("ranking", "webhook", "end_to_end", "notifier", "claims")


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        known = ", ".join(BENCHMARKS)
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {known}")
        return 2
    if not argv:
        (RESULTS / "memory.json").unlink(missing_ok=True)
    failed = []
    for name in chosen:
        print(f"## bench.{name}\n", flush=True)
        if subprocess.call([sys.executable, "-m", f"bench.{name}"]) != 0:
            failed.append(name)
    memory_table()
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


def memory_table() -> None:
    path = RESULTS / "memory.json"
    if not path.exists():
        return
    table = Table(
        "memory",
        "Peak resident memory (RSS) of each process, per benchmark",
        ["benchmark", "process", "peak RSS"],
    )
    for bench, peaks in json.loads(path.read_text()).items():
        for role, rss in peaks.items():
            table.add(bench, role, f"{rss / 2**20:.0f} MiB")
    table.publish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
