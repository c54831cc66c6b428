"""``expressivity-figures``: regenerate every figure of the package into ``figures/``.

Before it starts, the command prints its plan: every selected figure is *done* (its PNG
exists and was drawn with the current settings), *stale* (its PNG exists but the settings,
the mode or the job's ``revision`` changed since; the plan says what changed) or *missing*
(no PNG), and the figures that will run with their expected time, taken from the costs
recorded in ``<out>/.manifest.json`` (per mode; "unknown" for a figure never run in that
mode). Missing figures run; stale ones are kept and reported unless ``--refresh`` (recompute
stale ones) or ``--force`` (recompute every selected figure) asks. ``--list`` prints the plan
and exits.

Full mode (the default) writes the committed figures; ``--quick`` runs every job with small
settings (what the tests use) and stamps each figure "quick settings". The command is
resumable: every PNG and the manifest are written atomically (temporary file, then rename),
and jobs that take long run their ensembles as sweeps (:mod:`expressivity.sweep`) stored in
``<out>/.cache/<figure>``, one verified file per cell, so an interrupted run picks up where it
stopped and recomputes only the cells that are missing or corrupt; training runs longer than
~30 s inside a cell checkpoint into ``<out>/.cache/<figure>/checkpoints`` (see
:class:`expressivity.papers.FigureJob`). ``--force`` and ``--refresh`` redraw figures, but
finished cells are still reused: delete ``<out>/.cache`` to recompute them.

``--workers N`` runs the cells on N local processes (0: in this process) and ``--scheduler
ADDRESS`` on a dask.distributed cluster; by default each job uses its own setting (quick jobs
in-process, full jobs on all local cores).

The manifest records per figure its key, settings, mode and revision (what determines it),
the wall time of the run that drew it, the estimated cost of drawing it from scratch per mode
(``costs``), the date and the package version.
"""
from __future__ import annotations

import argparse
import contextlib
import fnmatch
import inspect
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from . import __version__
from .papers import FigureJob, all_jobs

__all__ = ["run", "plan", "format_plan", "PlanItem", "main"]

MANIFEST = ".manifest.json"
STATUSES = ("done", "stale", "missing")


def _mode(quick: bool) -> str:
    return "quick" if quick else "full"


def _job_key(job: FigureJob, quick: bool) -> str:
    return job.key(quick)


def _read_manifest(out: Path) -> dict:
    try:
        data = json.loads((Path(out) / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _record(out: Path, name: str, entry: dict) -> None:
    """Put one figure's entry into the manifest: read it again (another run may have written
    other figures meanwhile), replace the entry, write atomically."""
    manifest = _read_manifest(out)
    manifest[name] = entry
    _write_atomic(out / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n"))


def _accepts(fn, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params and params[name].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                     inspect.Parameter.KEYWORD_ONLY)


def format_seconds(seconds: float | None) -> str:
    """``"45 s"``, ``"20 min 40 s"``, ``"1 h 02 min"``; ``"unknown"`` for None."""
    if seconds is None:
        return "unknown"
    if seconds < 1:
        return "<1 s"
    s = int(round(float(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


# ---------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class PlanItem:
    """One selected figure in the plan.

    ``status`` is "done", "stale" or "missing"; ``reasons`` say why a figure is stale (what
    changed since it was drawn) or missing; ``action`` is "run", "keep" (stale, kept) or
    "skip" (done). ``expected`` is the recorded cost in seconds for this mode (None: never
    run in this mode here); ``estimate_note`` qualifies it (recorded with other settings).
    ``cached`` counts the finished sweep cells in the figure's cache directory (a resumed
    run reuses them, so it may be quicker than ``expected``).
    """

    job: FigureJob
    path: Path
    status: str
    reasons: tuple[str, ...]
    action: str
    expected: float | None
    estimate_note: str = ""
    cached: int = 0

    @property
    def name(self) -> str:
        return self.job.name


def _recorded_mode(entry: dict) -> str:
    return entry.get("mode") or ("quick" if entry.get("quick") else "full")


def _recorded_cost(entry: dict | None, mode: str) -> float | None:
    """The manifest's cost of drawing the figure in ``mode``: ``costs[mode]``, or (manifests
    written before costs were kept) the wall time of a run in that mode."""
    if not entry:
        return None
    costs = entry.get("costs")
    if isinstance(costs, dict) and isinstance(costs.get(mode), (int, float)):
        return float(costs[mode])
    if isinstance(entry.get("seconds"), (int, float)) and _recorded_mode(entry) == mode:
        return float(entry["seconds"])
    return None


def _short(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 48 else text[:45] + "..."


def settings_diff(old: dict, new: dict) -> list[str]:
    """What changed between two recorded settings, one phrase per keyword argument."""
    out = []
    for k in sorted(set(old) | set(new)):
        if k not in new:
            out.append(f"{k} removed (was {_short(old[k])})")
        elif k not in old:
            out.append(f"{k} added ({_short(new[k])})")
        elif old[k] != new[k]:
            out.append(f"{k}: {_short(old[k])} -> {_short(new[k])}")
    return out


def _what_changed(job: FigureJob, entry: dict, quick: bool) -> list[str]:
    """Why the recorded entry's key differs from the job's; empty if the recorded settings,
    mode and revision all equal the job's (the key's format changed: nothing to redo)."""
    mode, recorded = _mode(quick), _recorded_mode(entry)
    if recorded != mode:
        return [f"drawn with {recorded} settings; {mode} asked for"]
    reasons = []
    if "revision" in entry and entry["revision"] != job.revision:
        reasons.append(f"revision {entry['revision']} -> {job.revision} (the figure's code changed)")
    if isinstance(entry.get("settings"), dict):
        reasons += settings_diff(entry["settings"], job.settings(quick))
    elif not reasons:
        reasons.append("key differs; settings not recorded (an older manifest)")
    return reasons


def _cached_cells(out: Path, name: str) -> int:
    root = out / ".cache" / name
    return sum(1 for _ in root.rglob("*.npz")) if root.is_dir() else 0


def _select(only: list[str] | None) -> list[FigureJob]:
    jobs = all_jobs()
    if only:
        jobs = [j for j in jobs if any(fnmatch.fnmatch(j.name, pat) for pat in only)]
        if not jobs:
            raise ValueError(f"only={only!r} matches no figure; see expressivity-figures --list")
    return jobs


def plan(out: str | os.PathLike = "figures", quick: bool = False, only: list[str] | None = None,
         force: bool = False, refresh: bool = False) -> list[PlanItem]:
    """What :func:`run` would do with the same arguments, figure by figure (nothing is run).

    Parameters
    ----------
    out : path
        The output directory and its ``.manifest.json``.
    quick : bool
        Plan the quick settings instead of the full ones.
    only : list of str, optional
        Glob patterns of figure names (default: every registered figure).
    force : bool
        Every selected figure runs.
    refresh : bool
        Stale figures run (by default they are kept and reported).

    Returns
    -------
    list of PlanItem
        In registry order.

    Raises
    ------
    ValueError
        If ``only`` matches no figure.
    """
    out = Path(out)
    manifest = _read_manifest(out)
    mode = _mode(quick)
    items = []
    for job in _select(only):
        path = out / f"{job.name}.png"
        entry = manifest.get(job.name)
        entry = entry if isinstance(entry, dict) else None
        if not path.exists():
            status, reasons = "missing", ("no PNG",)
        elif entry is None:
            status, reasons = "stale", ("not in the manifest",)
        elif entry.get("key") == job.key(quick):
            status, reasons = "done", ()
        else:
            changed = _what_changed(job, entry, quick)
            status, reasons = ("stale", tuple(changed)) if changed else ("done", ())
        if force or status == "missing" or (status == "stale" and refresh):
            action = "run"
        else:
            action = "keep" if status == "stale" else "skip"
        expected = _recorded_cost(entry, mode)
        note = ""
        if expected is not None and entry is not None and entry.get("key") != job.key(quick) and status != "done":
            note = "recorded with other settings"
        items.append(PlanItem(job, path, status, reasons, action, expected, note,
                              _cached_cells(out, job.name) if job.uses_cache else 0))
    return items


def expected_remaining(items: list[PlanItem]) -> tuple[float, int]:
    """``(seconds, unknown)``: the recorded costs of ``items`` added up, and how many of them
    have no recorded cost (so the sum is a lower bound when ``unknown > 0``)."""
    known = [it.expected for it in items if it.expected is not None]
    return float(sum(known)), len(items) - len(known)


def _estimate_text(items: list[PlanItem]) -> str:
    """``"about 1 h 02 min"``, ``"... + 2 figures of unknown cost"`` or ``"unknown"``."""
    seconds, unknown = expected_remaining(items)
    if unknown == len(items):
        return "unknown"
    text = f"about {format_seconds(seconds)}"
    if unknown:
        text += f" + {unknown} figure{'s' if unknown > 1 else ''} of unknown cost"
    return text


def format_plan(items: list[PlanItem], quick: bool = False, out: str | os.PathLike = "figures",
                describe: bool = False, compact: bool = False) -> str:
    """The plan as text: a line per figure (status, action, expected time, name; the reasons
    of stale figures below it), then what will run and how long it should take.
    ``describe`` adds each figure's description; ``compact`` folds the skipped (done)
    figures into one line."""
    counts = {s: sum(it.status == s for it in items) for s in STATUSES}
    head = (f"{len(items)} figure{'s' if len(items) != 1 else ''} in {out}/ ({_mode(quick)} settings): "
            + ", ".join(f"{counts[s]} {s}" for s in STATUSES))
    shown = [it for it in items if not (compact and it.action == "skip")]
    lines = [head] + ([f"  {'status':8s} {'action':6s} {'expected':>12s}  figure"] if shown else [])
    width = max((len(it.name) for it in shown), default=0)
    for it in shown:
        cost = format_seconds(it.expected) + ("*" if it.estimate_note else "")
        name = f"{it.name:{width}s}  {it.job.description}".rstrip() if describe else it.name
        lines.append(f"  {it.status:8s} {it.action:6s} {cost:>12s}  {name}")
        why = list(it.reasons) if it.status == "stale" else []
        if it.cached and it.action == "run":
            why.append(f"{it.cached} finished cell{'s' if it.cached > 1 else ''} in .cache/{it.name} reused")
        if why:
            lines.append(f"  {'':8s} {'':6s} {'':>12s}    " + "; ".join(why))
    if any(it.estimate_note for it in shown):
        lines.append("  * recorded with other settings")
    skipped = len(items) - len(shown)
    if skipped:
        lines.append(f"{skipped} done figure{'s' if skipped > 1 else ''} skipped (--list shows every figure)")
    to_run = [it for it in items if it.action == "run"]
    kept = [it for it in items if it.action == "keep"]
    if kept:
        lines.append(f"kept {len(kept)} stale figure{'s' if len(kept) > 1 else ''} "
                     "(--refresh recomputes stale figures, --force every selected one)")
    if to_run:
        estimate = _estimate_text(to_run)
        lines.append(f"will run {len(to_run)} figure{'s' if len(to_run) > 1 else ''}: "
                     + (f"{estimate} by the recorded costs" if estimate != "unknown"
                        else f"time unknown (none has a recorded cost in {_mode(quick)} mode here)"))
    else:
        lines.append("nothing to run")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- running
def _bar_postfix(item: PlanItem, rest: list[PlanItem], now: datetime) -> str:
    """The outer bar's words: the figure drawn now, its recorded cost and expected end, and
    the time left by the recorded costs of this and the remaining figures (never by the
    rate of figures done so far: their costs differ by orders of magnitude)."""
    fig = f"now {item.name}"
    if item.expected is not None:
        end = (now + timedelta(seconds=item.expected)).strftime("%H:%M")
        fig += f" (recorded {format_seconds(item.expected)}, until ~{end})"
    return f"{fig}; left: {_estimate_text(rest)}"


@contextlib.contextmanager
def _checkpoint_dir(path: Path):
    """``EXPRESSIVITY_CHECKPOINT_DIR`` for the duration of one job, unless the user set it:
    cell functions that cannot take a directory argument without changing their key (the MI
    staircase) checkpoint there, inside the figure's cache, so a rerun finds them."""
    if os.environ.get("EXPRESSIVITY_CHECKPOINT_DIR"):
        yield
        return
    os.environ["EXPRESSIVITY_CHECKPOINT_DIR"] = str(path)
    try:
        yield
    finally:
        os.environ.pop("EXPRESSIVITY_CHECKPOINT_DIR", None)


def run(out: str | os.PathLike = "figures", quick: bool = False, only: list[str] | None = None,
        force: bool = False, progress: bool = True, dpi: int = 120, executor=None,
        refresh: bool = False, log: Callable[[str], None] | None = None) -> list[Path]:
    """Render the figures that :func:`plan` marks "run" into ``out``; return the PNG paths of
    every selected figure that has one (written now, or done and skipped, or stale and kept).

    ``executor`` (None: each job's own setting) replaces the ``executor`` of every job whose
    function takes one (see :func:`expressivity.sweep.run`); it decides where cells run, not
    what they compute, so it is not part of a figure's recorded settings. Jobs with
    ``uses_cache`` get ``cache_dir=<out>/.cache/<name>`` and, if their function takes it,
    ``progress`` (a bar over their sweep cells). The outer bar counts the figures that run and
    estimates the time left from their recorded costs; ``log`` (e.g. ``print``) receives a
    line when each figure starts and ends. Quick figures are stamped "quick settings".
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm.auto import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    items = plan(out, quick=quick, only=only, force=force, refresh=refresh)
    to_run = [it for it in items if it.action == "run"]
    mode = _mode(quick)
    bar = tqdm(total=len(to_run), desc="figures", unit="fig", disable=not progress or not to_run,
               bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed} elapsed{postfix}",
               postfix=_bar_postfix(to_run[0], to_run, datetime.now()) if to_run else None,
               dynamic_ncols=True)
    try:
        for i, item in enumerate(to_run):
            job = item.job
            if i:
                bar.set_postfix_str(_bar_postfix(item, to_run[i:], datetime.now()), refresh=True)
            if log is not None:
                note = f" ({item.estimate_note})" if item.estimate_note else ""
                log(f"[{i + 1}/{len(to_run)}] {job.name} ({item.status}): expected "
                    f"{format_seconds(item.expected)}{note}; left in all: {_estimate_text(to_run[i:])}")
            function = job.resolve()
            extra = {}
            if job.uses_cache and _accepts(function, "progress"):
                extra["progress"] = progress
            if executor is not None and _accepts(function, "executor"):
                extra["executor"] = executor
            cached = _cached_cells(out, job.name) if job.uses_cache else 0
            t0 = time.perf_counter()
            with _checkpoint_dir(out / ".cache" / job.name / "checkpoints"):
                fig = job.render(quick, cache_dir=out / ".cache" / job.name, **extra)
            _write_atomic(item.path, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png"))
            plt.close(fig)
            seconds = round(time.perf_counter() - t0, 2)
            old = _read_manifest(out).get(job.name)
            old = old if isinstance(old, dict) else None
            costs = dict(old.get("costs") or {}) if old else {}
            if old and "costs" not in old and _recorded_cost(old, _recorded_mode(old)) is not None:
                costs[_recorded_mode(old)] = _recorded_cost(old, _recorded_mode(old))
            # a resumed run reused stored cells: its wall time underestimates a run from scratch
            previous = costs.get(mode)
            costs[mode] = seconds if not cached or previous is None else max(seconds, previous)
            _record(out, job.name, {
                "key": job.key(quick), "mode": mode, "quick": bool(quick), "settings": job.settings(quick),
                "revision": job.revision, "seconds": seconds, "costs": costs, "resumed_cells": cached,
                "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "version": __version__})
            bar.update(1)
            if log is not None:
                log(f"[{i + 1}/{len(to_run)}] {job.name}: {format_seconds(seconds)} "
                    f"(expected {format_seconds(item.expected)}) -> {item.path}")
        if to_run:
            bar.set_postfix_str("all done", refresh=False)
    finally:
        bar.close()
    return [it.path for it in items if it.path.exists()]


# ---------------------------------------------------------------------------- command line
def _interrupted_report(before: list[PlanItem], after: list[PlanItem], started: str, out: Path) -> str:
    manifest = _read_manifest(out)
    written = [it.name for it in after
               if it.status == "done" and str((manifest.get(it.name) or {}).get("date", "")) >= started]
    now = {it.name: it for it in after}
    left = [now[it.name] for it in before if it.action == "run" and it.name not in written]
    lines = ["", "interrupted" + (f" during {left[0].name}" if left else "") + "."]
    done = sum(it.status == "done" for it in after)
    lines.append(f"complete: {done} of {len(after)} selected figures are up to date"
                 + (f"; written in this run: {', '.join(written)}" if written else ""))
    if left:
        lines.append(f"still to run: {len(left)} figure{'s' if len(left) > 1 else ''} ("
                     + ", ".join(it.name for it in left[:5]) + (", ..." if len(left) > 5 else "")
                     + f"), expected {_estimate_text(left)}")
    lines.append(f"finished sweep cells are kept in {out}/.cache/<figure>/ and long training runs resume "
                 "from their checkpoints there: run the same command again to resume.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="expressivity-figures", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="output directory (default: figures)")
    parser.add_argument("--quick", action="store_true",
                        help="small settings, seconds per figure (tests); figures are stamped 'quick settings'")
    parser.add_argument("--only", nargs="+", metavar="PATTERN", help="glob patterns of figure names")
    parser.add_argument("--refresh", action="store_true",
                        help="recompute stale figures (default: keep their PNG and report what changed)")
    parser.add_argument("--force", action="store_true",
                        help="recompute every selected figure, also those up to date (cells are reused)")
    parser.add_argument("--list", action="store_true",
                        help="print the plan (done / stale / missing, expected times) and exit")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="run sweep cells on N local processes (0: in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run sweep cells on the dask.distributed scheduler at ADDRESS")
    args = parser.parse_args(argv)
    if args.workers is not None and args.scheduler:
        parser.error("give --workers or --scheduler, not both")
    if args.workers is not None and args.workers < 0:
        parser.error(f"--workers must be >= 0 (0: in this process), got {args.workers}")
    out = Path(args.out)
    try:
        before = plan(out, quick=args.quick, only=args.only, force=args.force, refresh=args.refresh)
    except ValueError as e:
        parser.error(str(e))
    print(format_plan(before, args.quick, args.out, describe=args.list, compact=not args.list), flush=True)
    if args.list:
        return 0
    executor = client = None
    if args.workers is not None:
        executor = args.workers or "inprocess"
    elif args.scheduler:
        from dask.distributed import Client  # optional: pip install "dask[distributed]"

        executor = client = Client(args.scheduler)
    from tqdm.auto import tqdm

    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        paths = run(out, quick=args.quick, only=args.only, force=args.force, refresh=args.refresh,
                    progress=not args.no_progress, executor=executor,
                    log=lambda line: tqdm.write(line, file=sys.stderr))
    except KeyboardInterrupt:
        after = plan(out, quick=args.quick, only=args.only)
        print(_interrupted_report(before, after, started, out), file=sys.stderr)
        return 130
    finally:
        if client is not None:
            client.close()
    print(f"{len(paths)} figures in {args.out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
