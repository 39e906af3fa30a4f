"""Run every benchmark module in this folder (each defines ``main() -> int``), or the ones named.

    python benchmarks/run.py                # all
    python benchmarks/run.py foundation     # one
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    available = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in ("run", "__init__", "common"))
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip() + "\n\nbenchmarks: " + ", ".join(available))
        return 0
    unknown = [a for a in argv if a not in available]
    if unknown:
        print(f"no benchmark {', '.join(unknown)} (benchmarks: {', '.join(available)})", file=sys.stderr)
        return 2
    names = argv or available
    status = 0
    for name in names:
        module = importlib.import_module(name)
        if not hasattr(module, "main"):
            continue
        print(f"\n== {name} ==")
        status |= int(module.main() or 0)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
