"""Cold start: time to ``import app`` in a fresh interpreter, next to importing chalice alone.

Prints medians over several fresh interpreters and the ratio; absolute times vary with the machine.
Target: ``import app`` under 300 ms (heavy modules load lazily, on first use).
Run: .venv/bin/python bench/cold_start.py [--runs 15]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("psycopg", "psycopg_pool", "clickhouse_connect", "jwt", "boto3", "weasyprint", "jinja2", "bcrypt", "pydantic")


def time_import(statement: str) -> float:
    code = ("import time; t = time.perf_counter(); " + statement +
            "; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    baseline = [time_import("import chalice") for _ in range(args.runs)]
    app = [time_import("import app") for _ in range(args.runs)]
    check = subprocess.run([sys.executable, "-c", "import app, sys; print(','.join(m for m in %r if m in sys.modules))"
                            % (HEAVY,)], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    b, a = statistics.median(baseline), statistics.median(app)
    print(f"import chalice (baseline): median {b * 1000:.1f} ms over {args.runs} runs")
    print(f"import app:                median {a * 1000:.1f} ms over {args.runs} runs")
    print(f"ratio app/chalice:         {a / b:.2f}x")
    print(f"heavy modules loaded by import app: {check or 'none'}")
    print(f"target < 300 ms: {'met' if a < 0.300 else 'NOT met'}")


if __name__ == "__main__":
    main()
