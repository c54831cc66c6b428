"""Resumability of the GAN figures' cached cells.

Oracle: a second call with the same cache_dir must not train again (training is replaced by
a function that raises)."""
import matplotlib

matplotlib.use("Agg")
import pytest

from expressivity.gan import figures


def test_seed_table_resumes_from_cache(tmp_path, monkeypatch):
    kw = dict(unroll_steps=(0, 1), seeds=(0, 1), steps=3, hidden=8, batch_size=16, progress=False)
    a = figures.unrolled_seed_table(cache_dir=str(tmp_path), **kw)

    def boom(*args, **kwargs):
        raise AssertionError("trained again although every cell is cached")

    monkeypatch.setattr(figures, "train_gan", boom)
    b = figures.unrolled_seed_table(cache_dir=str(tmp_path), **kw)
    for K in (0, 1):
        assert (a[K]["modes"] == b[K]["modes"]).all() and (a[K]["hq"] == b[K]["hq"]).all()
    with pytest.raises(AssertionError, match="trained again"):
        figures.unrolled_seed_table(cache_dir=str(tmp_path), **dict(kw, seeds=(2,)))
