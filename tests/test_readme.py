"""Every Python block of README.md runs (oracle: the interpreter: a block that raises, or
that names something it never defined, fails here with the README line it starts on).

The blocks of one ``## `` section run in order in one fresh interpreter (a later block may
use what an earlier one defined, as a reader would type them), in a temporary working
directory, with ``EXPRESSIVITY_QUICK=1`` (figures in quick settings), the Agg backend and one
BLAS thread. A block whose first line starts with ``# not run by the tests`` (say why after a
colon: ``# not run by the tests: needs a dask cluster``) is skipped, and so is a block that
connects to a cluster address (``tcp://``), which no test machine has. The README is edited
by many hands: blocks are found by their fences, not by their position, and a failure names
the README line of the block.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP_MARK = "# not run by the tests"
TIMEOUT = 300   # seconds per section: a block that hangs fails instead of stalling the suite
SENTINEL = "@@readme-block-done"


def _blocks(text: str):
    """``[(section, line, code)]`` for every fenced ``python`` block, in order (``line``: the
    README line of the block's first code line)."""
    out, section, in_block, start, buf = [], "(top)", False, 0, []
    for no, line in enumerate(text.splitlines(), 1):
        if not in_block and line.startswith("## "):
            section = line[3:].strip()
        elif not in_block and re.match(r"^```\s*(python|py)\s*$", line.strip()):
            in_block, start, buf = True, no + 1, []
        elif in_block and line.strip().startswith("```"):
            in_block = False
            out.append((section, start, "\n".join(buf) + "\n"))
        elif in_block:
            buf.append(line)
    return out


def skip_reason(code: str) -> str | None:
    """Why a block is not run, or None."""
    first = next((line.strip() for line in code.splitlines() if line.strip()), "")
    if first.startswith(SKIP_MARK):
        return first[len(SKIP_MARK):].lstrip(" :") or "marked in the README"
    if "tcp://" in code:
        return "connects to a cluster address (tcp://): needs a cluster"
    return None


def _sections():
    sections: dict[str, list] = {}
    for section, line, code in _blocks(README.read_text()):
        sections.setdefault(section, []).append((line, code))
    return sections


SECTIONS = _sections()


def test_blocks_are_found():
    """Oracle: the fences themselves (a python block must be found whatever its position)."""
    sample = "## A\n```python\nx = 1\n```\ntext\n```bash\nls\n```\n## B\n```python\n# not run by the tests: needs data\nload()\n```\n"
    assert _blocks(sample) == [("A", 3, "x = 1\n"), ("B", 11, "# not run by the tests: needs data\nload()\n")]
    assert skip_reason(_blocks(sample)[1][2]) == "needs data"
    assert skip_reason("x = 1\n") is None
    assert SECTIONS, "README.md has no python block"


@pytest.mark.parametrize("section", sorted(SECTIONS), ids=lambda s: s.split(":")[0][:40])
def test_readme_section_runs(section, tmp_path):
    parts, skipped = [], []
    for line, code in SECTIONS[section]:
        reason = skip_reason(code)
        if reason:
            skipped.append(f"line {line}: {reason}")
            continue
        parts.append(f"# README.md line {line}\n{code}\n"
                     f"print({SENTINEL!r}, {line}, round(_t.perf_counter() - _t0, 1), flush=True)\n"
                     "_t0 = _t.perf_counter()\n")
    if not parts:
        pytest.skip("; ".join(skipped))
    script = tmp_path / "readme_section.py"
    script.write_text("import time as _t\n_t0 = _t.perf_counter()\n" + "\n".join(parts))
    env = dict(os.environ, EXPRESSIVITY_QUICK="1", MPLBACKEND="Agg", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    try:
        proc = subprocess.run([sys.executable, script.name], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"section {section!r} took more than {TIMEOUT} s; output:\n{(e.stdout or '')[-2000:]}")
    finally:  # what the blocks wrote (sweep stores) can be large: do not leave it in pytest's tmp
        for p in tmp_path.iterdir():
            if p != script:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    done = [int(m) for m in re.findall(rf"^{SENTINEL} (\d+) ", proc.stdout, re.M)]
    print(f"{section}: " + ", ".join(f"line {a}: {b} s" for a, b in re.findall(rf"^{SENTINEL} (\d+) (\S+)$",
                                                                              proc.stdout, re.M)))
    ran = [line for line, code in SECTIONS[section] if not skip_reason(code)]
    if proc.returncode != 0:
        failed = next(line for line in ran if line not in done)
        pytest.fail(f"README.md block at line {failed} (section {section!r}) failed:\n{proc.stderr[-3000:]}")
    assert done == ran
    if skipped:
        print("skipped: " + "; ".join(skipped))
