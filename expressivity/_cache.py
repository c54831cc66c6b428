"""Tiny resumable cache for long figure jobs: one JSON file per computed piece."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np


def cached(cache_dir, key: dict, compute):
    """Return compute() (JSON-serialisable, numpy arrays allowed as lists), stored under key."""
    if cache_dir is None:
        return compute()
    name = hashlib.sha256(json.dumps(key, sort_keys=True, default=repr).encode()).hexdigest()[:20]
    path = Path(cache_dir) / f"{name}.json"
    if path.exists():
        try:
            return json.loads(path.read_text())["value"]
        except (json.JSONDecodeError, KeyError):
            pass
    value = compute()
    value = json.loads(json.dumps(value, default=lambda o: np.asarray(o).tolist()))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"key": key, "value": value}, default=repr))
    os.replace(tmp, path)
    return value
