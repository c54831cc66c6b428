"""The same sweep on a dask.distributed LocalCluster started by the test (two worker
processes, one thread each). Oracle: the function called directly in a loop; results must
be bit-identical. Kept in its own module so the cluster's threads are gone before other
modules fork process pools."""
import itertools
import sys

import numpy as np
import pytest

from expressivity import sweep


def draw(width, scale, seed):
    rng = np.random.default_rng([seed, width])
    x = scale * rng.standard_normal(width)
    return {"mean": x.mean(), "head": x[:3], "n": width}


GRID = sweep.Grid(width=[3, 8, 20], scale=[0.5, 2.0], seeds=3)


def _assert_matches_oracle(res):
    assert res.dims == ("width", "scale", "seed")
    for (i, w), (j, s), k in itertools.product(enumerate([3, 8, 20]), enumerate([0.5, 2.0]), range(3)):
        r = draw(w, s, k)
        for f in ("mean", "head", "n"):
            np.testing.assert_array_equal(res[f][i, j, k], r[f], strict=True)
    assert res["head"].shape == GRID.shape + (3,)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    import cloudpickle

    # the workers are separate processes that cannot import this test module by name
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_dask_local_cluster_matches_direct_loop_and_resumes(tmp_path, dask_client):
    """Same results via client.get_executor() and via the Client itself (the second run
    finds every cell stored and computes nothing)."""
    res = sweep.run(draw, GRID, tmp_path, executor=dask_client.get_executor(), progress=False)
    _assert_matches_oracle(res)
    assert sweep.missing(draw, GRID, tmp_path) == []
    _assert_matches_oracle(sweep.run(draw, GRID, tmp_path, executor=dask_client, progress=False))
