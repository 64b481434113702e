"""Issue 12, point 3: whole validations of adversarial 1 Mo texts against an ordinary 1 Mo log.

For each input of ``fixtures/scans_inputs.py`` (repeated token starts, open tags, entity
declarations, query strings, digit runs, one long line, deep nesting), ``Engine.validate(path, "logs")``
is timed interleaved with the ordinary log (A, B, A, B…, same engine, same run), and the ratio of the
medians is reported. Target: every ratio ≤ 3.

    python -m bench.scans [--runs 5] [--only jwt_dash,doctype_open] [--markdown out.md]

Exit status 1 when a ratio exceeds the target (or a validation times out or crashes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET = 3.0


def _engine():
    from validator_core import Engine
    from validator_core.registry import PluginConfig
    from validator_core.settings import CoreSettings

    return Engine(CoreSettings(load_entrypoints=False), plugin_config=PluginConfig(entrypoints=False))


def measure(runs: int, only: set[str] | None) -> list[dict]:
    from fixtures.scans_inputs import adversarial_inputs, ordinary_log

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scans-") as folder:
        ordinary = Path(folder) / "ordinary.log"
        ordinary.write_bytes(ordinary_log())
        inputs = {name: data for name, data in adversarial_inputs().items() if not only or name in only}
        engine = _engine()
        try:
            for _ in range(2):  # warm the workers (imports, caches)
                engine.validate(ordinary, "logs")
            for name, data in inputs.items():
                path = Path(folder) / f"{name}.log"
                path.write_bytes(data)
                base, hostile, codes = [], [], set()
                for _ in range(runs):
                    for target, samples in ((ordinary, base), (path, hostile)):
                        started = time.perf_counter()
                        report = engine.validate(target, "logs")
                        samples.append(time.perf_counter() - started)
                        if target is path:
                            codes.update(c for c in report.codes if c.startswith("check."))
                ratio = statistics.median(hostile) / statistics.median(base)
                rows.append({"input": name, "ordinary_ms": statistics.median(base) * 1000,
                             "adversarial_ms": statistics.median(hostile) * 1000, "ratio": ratio,
                             "engine_codes": sorted(codes)})
                print(f"{name:22} ordinary {rows[-1]['ordinary_ms']:8.1f} ms  adversarial "
                      f"{rows[-1]['adversarial_ms']:9.1f} ms  ratio {ratio:6.2f}  {' '.join(sorted(codes))}",
                      flush=True)
        finally:
            engine.close()
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| entrée (1 Mo) | log ordinaire (ms) | entrée hostile (ms) | rapport | codes moteur |",
             "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| `{row['input']}` | {row['ordinary_ms']:.1f} | {row['adversarial_ms']:.1f} | "
                     f"{row['ratio']:.2f}× | {', '.join(row['engine_codes']) or '—'} |")
    worst = max(rows, key=lambda r: r["ratio"]) if rows else None
    if worst:
        lines.append("")
        lines.append(f"Pire rapport : `{worst['input']}` {worst['ratio']:.2f}× (cible ≤ {TARGET:g}×).")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    rows = measure(args.runs, {n for n in args.only.split(",") if n} or None)
    if args.markdown:
        args.markdown.write_text(markdown(rows), encoding="utf-8")
    failed = [r for r in rows if r["ratio"] > TARGET or r["engine_codes"]]
    print(f"{len(rows) - len(failed)} within target, {len(failed)} over (target ≤ {TARGET:g}x)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
