"""A process of its own that writes an import's batches, so the feed keeps the first core to itself.

A writer thread does not help: encoding Arrow blocks and the database calls want the GIL back
every few microseconds while the feed never lets go of it (measured: a thread's writing took 8x
longer beside a busy feed). Batches (numpy columns and a few hundred row dicts) travel through a
pipe; one is in flight at a time, and each answer says what it wrote or what it raised.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from .batch_write import Batch, Written, write_batch

POLL_S = 0.5  # how often a wait checks that the process is still there


class WriterProcessError(RuntimeError):
    """The writer process went away without an answer."""


def shareable(engine: Engine) -> bool:
    """Whether another process can open this engine's database (not an in-memory SQLite one)."""
    url = engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


class WriterProcess:
    """Writes `Batch`es into the database at the engine's URL, in a child Python process.

    The child is `python -m lfs_ayats.store.write_process` on pipes rather than a multiprocessing
    Process: spawning one re-runs the caller's main script, which a script without a
    `__main__` guard does not survive.
    """

    def __init__(self, engine: Engine) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p))
        self._child = subprocess.Popen([sys.executable, "-m", "lfs_ayats.store.write_process"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                       start_new_session=True)  # Ctrl+C in a terminal is for the importer
        assert self._child.stdin is not None and self._child.stdout is not None
        self._send = Connection(os.dup(self._child.stdin.fileno()), readable=False)
        self._recv = Connection(os.dup(self._child.stdout.fileno()), writable=False)
        self._child.stdin.close()
        self._child.stdout.close()
        self._busy = False
        # The URL (password and all) goes through the pipe, not the command line.
        self._send.send(engine.url.render_as_string(hide_password=False))

    def submit(self, batch: Batch) -> None:
        """Hand a batch over (the one before must have been waited for)."""
        assert not self._busy, "one batch in flight at a time"
        try:
            self._send.send(batch)
        except OSError:
            raise WriterProcessError(self._gone()) from None
        self._busy = True

    def wait(self) -> Written | None:
        """What the batch in flight wrote (None if there is none); re-raises what it raised."""
        if not self._busy:
            return None
        self._busy = False
        while not self._recv.poll(POLL_S):
            if self._child.poll() is not None:
                raise WriterProcessError(self._gone())
        try:
            kind, value = self._recv.recv()
        except (EOFError, OSError):
            raise WriterProcessError(self._gone()) from None
        if kind == "error":
            raise value
        assert isinstance(value, Written)
        return value

    def close(self) -> None:
        """Stop the process (after the batch in flight, if any, is written)."""
        with contextlib.suppress(OSError):
            self._send.send(None)
        try:
            self._child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        self._send.close()
        self._recv.close()

    def _gone(self) -> str:
        return f"the store's writer process ended without an answer (exit code {self._child.poll()})"


def _serve() -> None:
    """The child: batches in on stdin, answers out on what was stdout (stdout itself goes to stderr)."""
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a stray print must not corrupt the answers
    requests = Connection(os.dup(0), writable=False)
    from .engine import make_engine

    try:
        engine = make_engine(requests.recv())
    except EOFError:
        return
    try:
        while True:
            try:
                batch = requests.recv()
            except EOFError:
                return
            if batch is None:
                return
            try:
                answers.send(("ok", write_batch(engine, batch)))
            except BaseException as exc:  # the caller raises it: an import that fails must say why
                answers.send(("error", _portable(exc)))
    finally:
        engine.dispose()


def _portable(exc: BaseException) -> BaseException:
    """The exception, fit for a pickle round trip: the database's errors lose their bound parameters
    (the batch's rows, blobs among them), anything else that does not survive becomes a RuntimeError."""
    if isinstance(exc, DBAPIError):
        with contextlib.suppress(Exception):
            exc = type(exc)(exc.statement, None, exc.orig)  # type: ignore[arg-type]
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    # Ctrl+C is the importing process's to handle: it stops this one by closing the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _serve()
    except Exception as exc:  # before any batch (the database cannot be opened...): one line, not a traceback
        print(f"lfs-ayats store writer: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
    # Everything is written and answered for: skip the interpreter's teardown (a tenth of a second
    # of unloading polars and SQLAlchemy that the importer would wait for).
    sys.stderr.flush()
    os._exit(0)
