"""One BLAS thread for the MI tests: the small matrices of a critic step run several times
slower with oversubscribed BLAS threads on a shared 2-core machine."""
import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(1):
        yield
