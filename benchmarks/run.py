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
    names = argv or sorted(p.stem for p in HERE.glob("*.py") if p.stem not in ("run", "__init__"))
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
