"""Adversarial 1 Mo link files against ordinary ones, through the engine (issue 12, point 3).

Each adversarial file (fixtures/links_inputs.py) is validated as ``report_link`` and timed against,
in the same run and interleaved (A, B, C, A, B, C …): an ordinary 1 Mo link file validated as
``report_link``, and, when ``fixtures/scans_inputs.py`` is there, an ordinary 1 Mo log validated as
``logs`` (the issue's reference: ≤ 3×). Prints a Markdown table.

    python -m bench.links [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    from fixtures.links_inputs import adversarial_link_files, ordinary_links_text
    from validator_core import Engine
    from validator_core.settings import CoreSettings

    try:
        from fixtures.scans_inputs import ordinary_log
    except ImportError:  # the log reference is optional
        ordinary_log = None

    directory = Path(tempfile.mkdtemp(prefix="bench-links-"))
    links_path = directory / "ordinary-links.txt"
    links_path.write_bytes(ordinary_links_text())
    log_path = None
    if ordinary_log is not None:
        log_path = directory / "ordinary.log"
        log_path.write_bytes(ordinary_log())

    engine = Engine(CoreSettings(workers=1, load_entrypoints=False, check_timeout_s=60.0))
    try:
        def timed(path: Path, proof_type: str) -> tuple[float, str]:
            start = time.perf_counter()
            report = engine.validate(path, proof_type)
            return time.perf_counter() - start, report.verdict.value

        timed(links_path, "report_link")  # warm the worker
        print("| fichier | validate() | lien ordinaire | ratio | journal ordinaire | ratio | verdict |")
        print("|---|---|---|---|---|---|---|")
        worst = 0.0
        for name, (data, ext, _media_type) in adversarial_link_files().items():
            path = directory / f"{name}.{ext}"
            path.write_bytes(data)
            adv, ordinary, log = [], [], []
            verdict = "?"
            for _ in range(args.rounds):
                seconds, verdict = timed(path, "report_link")
                adv.append(seconds)
                ordinary.append(timed(links_path, "report_link")[0])
                if log_path is not None:
                    log.append(timed(log_path, "logs")[0])
            a, o = statistics.median(adv), statistics.median(ordinary)
            l = statistics.median(log) if log else None
            ratio_log = f"{a / l:.2f}×" if l else "—"
            worst = max(worst, a / l if l else a / o)
            print(f"| {name} | {a * 1000:.0f} ms | {o * 1000:.0f} ms | {a / o:.2f}× | "
                  f"{(l or 0) * 1000:.0f} ms | {ratio_log} | {verdict} |")
        print(f"\npire ratio : {worst:.2f}× (cible ≤ 3×)")
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
