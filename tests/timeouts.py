"""``deadline(seconds)``: a block that runs longer raises TimeoutError (SIGALRM; main thread,
POSIX) — how the tests tell a hang from a slow answer."""
import contextlib
import signal


@contextlib.contextmanager
def deadline(seconds=60):
    def _raise(*_):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
