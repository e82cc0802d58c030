"""Ingestion benchmark: the service's rate next to the database's raw insert rate,
and the peak memory of ``cxm import`` of a large file.

    .venv/bin/python bench/ingest.py [--rows 200000] [--import-rows 1000000]
        [--skip-postgres] [--skip-import] [--json PATH] [--profile DIR]

Each database is a fresh one, migrated by ``cxm migrate``, used by a fresh
process (bench/_worker.py) that ingests the generated lines through
``interactions_ingest`` and then inserts the rows it stored again with the raw
bulk path. The import is a real ``cxm import`` subprocess whose peak RSS the
kernel reports when it is reaped. Targets (issue 2, on a 2-core machine): at
least 5,000 interactions/s on SQLite; import peak RSS under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _lines import write_ndjson
from _pg import postgres_server

BENCH_DIR = Path(__file__).resolve().parent
CXM = Path(sys.executable).parent / "cxm"
SQLITE_TARGET = 5_000  # interactions/s
RSS_TARGET_MB = 300


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CXM_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "cxm.settings",
        "CXM_DEBUG": "0",
    }


def _migrate(env: dict[str, str]) -> None:
    subprocess.run([str(CXM), "migrate", "--no-input", "-v", "0"], env=env, check=True)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_database(
    label: str, database_url: str, data_dir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    env = _env(database_url, data_dir)
    _migrate(env)
    command = [
        sys.executable, str(BENCH_DIR / "_worker.py"), "--rows", str(args.rows),
        "--customers", str(args.customers), "--seed", str(args.seed),
    ]  # fmt: skip
    if args.profile:
        command += ["--profile", str(Path(args.profile) / f"ingest-{label}.prof")]
    done = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    service, raw = figures["service"], figures["raw"]
    figures["database"] = label
    figures["service_per_s"] = args.rows / service["seconds"]
    figures["service_per_cpu_s"] = args.rows / service["cpu_seconds"]
    figures["raw_per_s"] = raw["rows"] / raw["seconds"]
    figures["ratio"] = figures["service_per_s"] / figures["raw_per_s"]
    figures["load_after"] = _load()
    return figures


def run_measured(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``command``; return its wall time, peak RSS and output.

    ``os.wait4`` gives this one child's own rusage, where RUSAGE_CHILDREN would
    give the largest of every child so far (the migrate, the other databases).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {stderr}")
    return {
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
        "user_seconds": usage.ru_utime,
        "system_seconds": usage.ru_stime,
        "stdout": stdout.strip(),
    }


def run_import(workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = workdir / "import"
    data_dir.mkdir()
    env = _env(f"sqlite:///{data_dir / 'bench.sqlite3'}", data_dir)
    _migrate(env)
    baseline = run_measured([str(CXM), "check"], env)

    path = workdir / "interactions.ndjson"
    start = time.perf_counter()
    size = write_ndjson(
        path,
        rows=args.import_rows,
        customers=args.import_customers,
        seed=args.seed + 1,
    )
    written = time.perf_counter() - start
    measured = run_measured(
        [str(CXM), "import", str(path), "--source", "bench", "--no-progress"], env
    )
    path.unlink()
    return {
        "rows": args.import_rows,
        "customers_generated": args.import_customers,
        "file_mb": size / 1024 / 1024,
        "file_write_seconds": written,
        "import": {**measured, "rows_per_s": args.import_rows / measured["seconds"]},
        "check_baseline": baseline,
        "load_after": _load(),
    }


def _n(value: float) -> str:
    return f"{value:,.0f}"


def report(results: dict[str, Any]) -> str:
    p = results["parameters"]
    lines = [
        f"CXM ingest benchmark: {_n(p['rows'])} interactions from "
        f"{_n(p['customers'])} generated customers, seed {p['seed']}",
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
        f"load average at start {results['load_before']}",
        "",
    ]
    if results["databases"]:
        header = (
            f"{'database':<11}{'rows':>10}{'service/s':>12}{'raw/s':>11}{'ratio':>8}"
            f"{'svc/CPU-s':>11}  target"
        )
        lines += [header, "-" * len(header)]
        for db in results["databases"]:
            target = "-"
            if db["database"] == "sqlite":
                verdict = "PASS" if db["service_per_s"] >= SQLITE_TARGET else "FAIL"
                target = f">= {SQLITE_TARGET:,}/s {verdict}"
            lines.append(
                f"{db['database']:<11}{_n(db['rows']):>10}{_n(db['service_per_s']):>12}"
                f"{_n(db['raw_per_s']):>11}{db['ratio']:>8.3f}"
                f"{_n(db['service_per_cpu_s']):>11}  {target}"
            )
        lines += [
            "service/s and raw/s are wall-clock rates; ratio = service/s / raw/s; svc/CPU-s is",
            "the service's rate per second of its own process's CPU (less sensitive to other",
            "load; on PostgreSQL it leaves out the server's CPU).",
            "",
        ]
        for db in results["databases"]:
            s, raw = db["service"], db["raw"]
            pad = " " * (len(db["database"]) + 2)
            lines += [
                f"{db['database']}: service {s['seconds']:.1f} s wall, "
                f"{s['cpu_seconds']:.1f} s CPU "
                f"(generating the lines took {s['generation_seconds']:.1f} s more, not counted)",
                f"{pad}{_n(s['accepted'])} stored, {_n(s['duplicates'])} duplicates, "
                f"{_n(s['rejected_lines'])} rejected lines; {_n(s['customers'])} customers, "
                f"{_n(s['identities'])} identities, {_n(s['merge_proposals'])} merge proposals",
                f"{pad}raw: {_n(raw['rows'])} rows in {raw['seconds']:.1f} s wall, "
                f"{raw['cpu_seconds']:.1f} s client CPU ({raw['method']})",
                f"{pad}then the worker's enrichment (sentiment, topics): "
                f"{_n(db['enrichment']['texts'])} texts in {db['enrichment']['seconds']:.1f} s "
                f"({db['enrichment']['texts'] / max(db['enrichment']['seconds'], 1e-9):,.0f}/s)",
                f"{pad}load average after: {db['load_after']}",
            ]
        lines.append("")
    imp = results.get("import")
    if imp:
        run, check = imp["import"], imp["check_baseline"]
        verdict = "PASS" if run["peak_rss_mb"] < RSS_TARGET_MB else "FAIL"
        cpu = run["user_seconds"] + run["system_seconds"]
        lines += [
            f"cxm import of {_n(imp['rows'])} rows ({imp['file_mb']:,.0f} MB NDJSON, "
            f"{_n(imp['customers_generated'])} customers) on SQLite:",
            f"  peak RSS {run['peak_rss_mb']:,.0f} MB (target < {RSS_TARGET_MB} MB {verdict}); "
            f"baseline: cxm check peak RSS {check['peak_rss_mb']:,.0f} MB",
            f"  {_n(run['rows_per_s'])} rows/s ({run['seconds']:.0f} s wall, "
            f"{run['user_seconds']:.0f} s user + {run['system_seconds']:.0f} s system CPU: "
            f"{_n(imp['rows'] / cpu)} rows per CPU-s)",
            # Its first line is the summary; the next names a rejects file already deleted.
            f"  cxm import said: {run['stdout'].splitlines()[0] if run['stdout'] else ''}",
            f"  load average after: {imp['load_after']}",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--customers", type=int, help="customers in the generated lines (default rows / 10)"
    )
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--import-customers", type=int, help="customers in the import file (default rows / 10)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--profile", help="directory for a cProfile of each service run")
    args = parser.parse_args(argv)
    args.customers = args.customers or max(1, args.rows // 10)
    args.import_customers = args.import_customers or max(1, args.import_rows // 10)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)

    results: dict[str, Any] = {
        "parameters": {
            "rows": args.rows,
            "customers": args.customers,
            "import_rows": None if args.skip_import else args.import_rows,
            "seed": args.seed,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load_before": _load(),
        "targets": {
            "sqlite_interactions_per_s": SQLITE_TARGET,
            "import_peak_rss_mb": RSS_TARGET_MB,
        },
        "databases": [],
    }
    with tempfile.TemporaryDirectory(prefix="cxm-bench-") as tmp:
        workdir = Path(tmp)
        sqlite_dir = workdir / "sqlite"
        sqlite_dir.mkdir()
        results["databases"].append(
            run_database("sqlite", f"sqlite:///{sqlite_dir / 'bench.sqlite3'}", sqlite_dir, args)
        )
        if not args.skip_postgres:
            pg_dir = workdir / "postgresql"
            pg_dir.mkdir()
            with postgres_server() as url:
                results["databases"].append(run_database("postgresql", url, pg_dir, args))
        if not args.skip_import:
            results["import"] = run_import(workdir, args)
    results["load_after"] = _load()

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))


if __name__ == "__main__":
    main()
