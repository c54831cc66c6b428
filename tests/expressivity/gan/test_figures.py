"""Figure jobs of expressivity.gan in quick mode, and resumability of the cached cells.

Oracles: each registered quick job returns a matplotlib Figure with axes; a second call with
the same cache_dir must not train again (training is replaced by a function that raises)."""
import matplotlib

matplotlib.use("Agg")
import pytest

from expressivity.figure_jobs import gan as jobs
from expressivity.gan import figures


@pytest.mark.parametrize("job", jobs.JOBS, ids=lambda j: j.name)
def test_quick_jobs_render(job, tmp_path):
    fig = job.function()(**job.kwargs(True), cache_dir=str(tmp_path))
    assert len(fig.axes) >= 1
    import matplotlib.pyplot as plt
    plt.close(fig)


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
