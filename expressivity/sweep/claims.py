"""Cell claims: drivers that run the same sweep on one store at once share the work.

Before a driver computes a cell it claims it: it creates ``<store>/.claims/<key>`` (an
exclusive create, ``O_CREAT | O_EXCL``) holding its owner record (driver id, host, pid and
the pid's start time). Another
driver that finds the claim leaves the cell alone and picks it up later: as the finished
cell file, or, if the claim went away without one, by claiming it itself. The owner removes
its claim once the cell file is written (or when it stops).

A claim is *stale* when its owner is gone, and a stale claim is taken over, so a killed
driver never blocks a rerun:

* same host: the owner pid is dead, a zombie, or a different process with that pid (its
  start time differs) -- decided at once;
* another host (a shared filesystem): the owner's heartbeat file
  ``<store>/.claims/<driver>.alive``, touched by a daemon thread every ``HEARTBEAT``
  seconds, is older than ``STALE_AFTER`` seconds, measured on the filesystem's own clock
  (the mtime of this driver's heartbeat), so clocks of the hosts need not agree.

Taking over a stale claim is serialised by an ``fcntl.flock`` on ``.claims/.lock`` (POSIX;
elsewhere two drivers may, rarely, both take over one stale claim and compute that cell
twice -- cell files are written atomically, so never corrupt).
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path

CLAIMS_DIR = ".claims"
HEARTBEAT = 5.0
STALE_AFTER = 60.0

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


_RUNNING: set[str] = set()  # driver ids running in this process (a claim of our pid by another id is stale)


class StoreNotWritable(OSError):
    """The store directory cannot be written (read-only filesystem, permissions, full disk)."""


def process_start(pid: int) -> str | None:
    """A token that tells two processes with the same pid apart (Linux: start time in
    clock ticks since boot from ``/proc/<pid>/stat``; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode(errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode(errors="replace")
    except OSError:
        return None
    rest = stat[stat.rfind(")") + 2:]
    return rest[:1] or None


def pid_alive(pid: int, start: str | None = None) -> bool:
    """Whether process ``pid`` on this host runs (not a zombie) and, if ``start`` is given
    and can be read, is the same process that had that start token."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    if pid == os.getpid():
        return start is None or start == process_start(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    except OSError:
        return False
    if _state(pid) in ("Z", "X"):
        return False
    if start is not None:
        now = process_start(pid)
        if now is not None and now != start:
            return False
    return True


class NoClaims:
    """Stands in for :class:`Claims` on a private store (``Store(shared=False)``): every cell
    is ours, nothing is written."""

    taken_over = 0

    def __init__(self):
        self.held: set[str] = set()

    def start(self) -> "NoClaims":
        return self

    def stop(self) -> None:
        self.held.clear()

    def claim(self, key: str) -> bool:
        return True

    def release(self, key: str) -> None:
        pass

    def holder(self, key: str) -> None:
        return None


class Claims:
    """The claims of one driver on one store (see the module docstring).

    ``start()`` creates the claims directory and the heartbeat (raising
    :class:`StoreNotWritable` with the reason if the store cannot be written: nothing has
    been computed yet); ``claim(key)`` returns ``True`` (ours now), or the owner record of a
    live claim by another driver; ``release(key)`` drops our claim; ``stop()`` drops all of
    ours and the heartbeat.
    """

    def __init__(self, store_path: Path, heartbeat: float | None = None, stale_after: float | None = None):
        self.root = Path(store_path)
        self.dir = self.root / CLAIMS_DIR
        self.id = uuid.uuid4().hex[:16]
        self.host = socket.gethostname()
        self.owner = {"driver": self.id, "host": self.host, "pid": os.getpid(),
                      "start": process_start(os.getpid()), "since": time.time()}
        self.heartbeat = HEARTBEAT if heartbeat is None else heartbeat
        self.stale_after = STALE_AFTER if stale_after is None else stale_after
        self.held: set[str] = set()
        self.taken_over = 0  # claims of dead drivers removed at start or taken over
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beat_file = self.dir / f"{self.id}.alive"
        self._lock_file = self.dir / ".lock"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "Claims":
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._write_new(self._beat_file, self.owner)
        except OSError as exc:
            raise StoreNotWritable(exc.errno, f"cannot write to the store {self.root} "
                                   f"({exc.strerror or exc}); nothing was computed") from exc
        _RUNNING.add(self.id)
        self._remove_dead_heartbeats()
        self._thread = threading.Thread(target=self._beat, name=f"sweep-heartbeat-{self.id}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        _RUNNING.discard(self.id)
        for key in list(self.held):
            self.release(key)
        try:
            self._beat_file.unlink()
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                os.utime(self._beat_file)
            except FileNotFoundError:  # removed by someone who thought us dead: recreate
                try:
                    self._write_new(self._beat_file, self.owner)
                except OSError:
                    pass
            except OSError:
                pass

    def _remove_dead_heartbeats(self) -> None:
        """Tidy up after drivers that died: their heartbeats, and their claims on cells that
        this sweep may never visit (another grid or fixed arguments)."""
        verdict: dict[str, bool] = {}
        for path in self.dir.iterdir():
            if path.name.startswith("."):
                continue
            owner = _read_json(path)
            if owner is None or owner.get("driver") == self.id:
                continue
            driver = owner.get("driver")
            if driver not in verdict:
                verdict[driver] = self.alive(owner)
            if not verdict[driver] and self._remove_if_owned_by(path, driver) and not path.name.endswith(".alive"):
                self.taken_over += 1

    def _remove_if_owned_by(self, path: Path, driver: str) -> bool:
        with self._locked():
            now = _read_json(path)
            if now is not None and now.get("driver") == driver:
                try:
                    path.unlink()
                    return True
                except OSError:
                    pass
        return False

    # ------------------------------------------------------------------ claims
    def path(self, key: str) -> Path:
        return self.dir / key

    def claim(self, key: str) -> bool | dict:
        """``True`` if ``key`` is ours now; otherwise the owner record of a live claim.

        Raises :class:`StoreNotWritable` if the claim file cannot be created."""
        target = self.path(key)
        for _ in range(3):
            try:
                self._write_new(target, self.owner)
            except FileExistsError:
                pass
            except OSError as exc:
                raise StoreNotWritable(exc.errno, exc.strerror or str(exc)) from exc
            else:
                self.held.add(key)
                return True
            owner = _read_json(target)
            if owner is None:
                if not target.exists():  # released meanwhile: try again
                    continue
                owner = {"driver": "?", "host": "?", "pid": -1}  # unreadable: judged by its age
                if self._age(target) < self.stale_after:
                    return owner
            if owner.get("driver") == self.id:
                self.held.add(key)
                return True
            if self.alive(owner) and owner.get("pid") != -1:
                return owner
            if self._take_over(target, owner):
                self.held.add(key)
                self.taken_over += 1
                return True
        return _read_json(target) or {"driver": "?", "host": "?", "pid": -1}

    def release(self, key: str) -> None:
        """Remove our claim of ``key`` (a claim that another driver took over is left)."""
        self.held.discard(key)
        target = self.dir / key
        try:  # (a bare read: this runs once per cell)
            fd = os.open(target, os.O_RDONLY)
            try:
                ours = f'"driver": "{self.id}"'.encode() in os.read(fd, 4096)
            finally:
                os.close(fd)
            if ours:
                os.unlink(target)
        except OSError:
            pass

    def holder(self, key: str) -> dict | None:
        """The owner record of a live claim on ``key`` by another driver, else None."""
        target = self.path(key)
        owner = _read_json(target)
        if owner is None:
            if target.exists() and self._age(target) < self.stale_after:
                return {"driver": "?", "host": "?", "pid": -1}
            return None
        if owner.get("driver") == self.id or not self.alive(owner):
            return None
        return owner

    def alive(self, owner: dict) -> bool:
        """Whether the driver that wrote ``owner`` is still running (see the module docstring)."""
        if owner.get("driver") == self.id:
            return True
        if owner.get("host") == self.host:
            pid = owner.get("pid")
            if pid == os.getpid() and owner.get("start") == self.owner["start"]:
                return owner.get("driver") in _RUNNING  # ours: alive only if still running
            return pid_alive(pid, owner.get("start")) if isinstance(pid, int) else False
        beat = self.dir / f"{owner.get('driver')}.alive"
        try:
            return self._age(beat) < self.stale_after
        except FileNotFoundError:
            return False

    # ------------------------------------------------------------------ helpers
    def _age(self, path: Path) -> float:
        """Seconds since ``path`` was modified, on the filesystem's clock (our heartbeat's
        mtime, touched now), so hosts with different clocks agree."""
        mtime = path.stat().st_mtime
        try:
            os.utime(self._beat_file)
            now = self._beat_file.stat().st_mtime
        except OSError:
            now = time.time()
        return now - mtime

    def _write_new(self, target: Path, record: dict) -> None:
        """Create ``target`` exclusively and write ``record`` (FileExistsError if it exists).
        A reader may find it empty for a moment: an unreadable claim counts as live while
        it is younger than ``stale_after``."""
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        try:
            os.write(fd, json.dumps(record).encode())
        finally:
            os.close(fd)

    def _take_over(self, target: Path, stale: dict) -> bool:
        """Replace the stale claim ``target`` (owner ``stale``) by ours, unless someone else
        took it over or released it meanwhile."""
        try:
            with self._locked():
                now = _read_json(target)
                if now is not None and now.get("driver") != stale.get("driver"):
                    return False  # taken over by another driver already
                tmp = target.with_name(f".{target.name}.{self.id}.{uuid.uuid4().hex[:6]}.tmp")
                with open(tmp, "w") as fh:
                    json.dump(self.owner, fh)
                os.replace(tmp, target)
                return True
        except OSError:
            return False

    @contextlib.contextmanager
    def _locked(self):
        """Serialise take-overs and clean-ups of stale claims between drivers (POSIX flock)."""
        lock = None
        try:
            if fcntl is not None:
                try:
                    lock = open(self._lock_file, "a")
                    fcntl.flock(lock, fcntl.LOCK_EX)
                except OSError:
                    lock = None
            yield
        finally:
            if lock is not None:
                lock.close()  # releases the flock


def _read_json(path: Path) -> dict | None:
    try:
        with open(path) as fh:
            value = json.load(fh)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def describe(owner: dict) -> str:
    """``"driver <id> (pid N on host)"`` for messages."""
    return f"driver pid {owner.get('pid')} on {owner.get('host')}"
