"""``expressivity-figures``: regenerate every figure of the package into ``figures/``.

Full mode (the default) writes the committed figures; ``--quick`` runs every job with small
settings (what the tests use). The command is resumable: a figure whose PNG exists and whose
recorded settings match is skipped, every PNG is written atomically (temporary file, then
rename), and jobs that take long run their ensembles as sweeps (:mod:`expressivity.sweep`)
stored in ``<out>/.cache/<figure>``, one verified file per cell, so an interrupted run picks up
where it stopped and recomputes only the cells that are missing or corrupt. ``--force``
redraws figures (finished cells are still reused; delete ``<out>/.cache`` to recompute them).
``--workers N`` runs the cells on N local processes (0: in this process) and ``--scheduler
ADDRESS`` on a dask.distributed cluster; by default each job uses its own setting (quick jobs
in-process, full jobs on all local cores).
"""
from __future__ import annotations

import argparse
import fnmatch
import inspect
import json
import os
import sys
import time
from pathlib import Path

from . import __version__
from .papers import FigureJob, all_jobs, stamp_quick

MANIFEST = ".manifest.json"


def _job_key(job: FigureJob, quick: bool) -> str:
    return job.key(quick)


def _read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _accepts(fn, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params and params[name].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                     inspect.Parameter.KEYWORD_ONLY)


def run(out: str | os.PathLike = "figures", quick: bool = False, only: list[str] | None = None,
        force: bool = False, progress: bool = True, dpi: int = 120, executor=None) -> list[Path]:
    """Render the selected jobs into ``out``; return the PNG paths written or kept.

    ``executor`` (None: each job's own setting) replaces the ``executor`` of every job whose
    function takes one (see :func:`expressivity.sweep.run`); it decides where cells run, not
    what they compute, so it is not part of a figure's recorded settings. Jobs with
    ``uses_cache`` get ``cache_dir=<out>/.cache/<name>`` and, if their function takes it,
    ``progress`` (a bar over their sweep cells).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = all_jobs()
    if only:
        jobs = [j for j in jobs if any(fnmatch.fnmatch(j.name, pat) for pat in only)]
        if not jobs:
            raise ValueError(f"only={only!r} matches no figure; see --list")
    manifest = _read_manifest(out)
    paths = []
    from tqdm.auto import tqdm

    bar = tqdm(jobs, desc="figures", unit="fig", disable=not progress)
    for job in bar:
        bar.set_postfix_str(job.name)
        path = out / f"{job.name}.png"
        key = _job_key(job, quick)
        if not force and path.exists() and manifest.get(job.name, {}).get("key") == key:
            paths.append(path)
            continue
        kwargs = job.kwargs(quick)
        function = job.resolve()
        if job.uses_cache:
            kwargs["cache_dir"] = str(out / ".cache" / job.name)
            if _accepts(function, "progress"):
                kwargs.setdefault("progress", progress)
        if executor is not None and _accepts(function, "executor"):
            kwargs["executor"] = executor
        t0 = time.perf_counter()
        fig = function(**kwargs)
        if quick:
            stamp_quick(fig)
        _write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png"))
        plt.close(fig)
        manifest[job.name] = {"key": key, "seconds": round(time.perf_counter() - t0, 2),
                              "quick": quick, "version": __version__}
        _write_atomic(out / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True)))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="expressivity-figures", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="output directory (default: figures)")
    parser.add_argument("--quick", action="store_true", help="small settings, seconds per figure (tests)")
    parser.add_argument("--only", nargs="+", metavar="PATTERN", help="glob patterns of figure names")
    parser.add_argument("--force", action="store_true", help="recompute figures that are up to date")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="run sweep cells on N local processes (0: in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run sweep cells on the dask.distributed scheduler at ADDRESS")
    args = parser.parse_args(argv)
    if args.workers is not None and args.scheduler:
        parser.error("give --workers or --scheduler, not both")
    if args.workers is not None and args.workers < 0:
        parser.error(f"--workers must be >= 0 (0: in this process), got {args.workers}")
    if args.list:
        for job in all_jobs():
            print(f"{job.name:40s} {job.description}")
        return 0
    executor = client = None
    if args.workers is not None:
        executor = args.workers or "inprocess"
    elif args.scheduler:
        from dask.distributed import Client  # optional: pip install "dask[distributed]"

        executor = client = Client(args.scheduler)
    try:
        paths = run(args.out, quick=args.quick, only=args.only, force=args.force,
                    progress=not args.no_progress, executor=executor)
    except KeyboardInterrupt:
        print("\ninterrupted: figures written so far are complete, and so are the sweep cells in "
              f"{args.out}/.cache; run again to resume", file=sys.stderr)
        return 130
    finally:
        if client is not None:
            client.close()
    print(f"{len(paths)} figures in {args.out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
