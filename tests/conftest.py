"""Suite-wide set-up: under pytest-xdist, each worker gets a PostgreSQL database of its own.

The store, analysis and API tests empty the database named by LFS_AYATS_TEST_POSTGRES_URL before
they use it; two workers sharing one would empty it under each other.
"""

from __future__ import annotations

import os

URL_VARIABLE = "LFS_AYATS_TEST_POSTGRES_URL"


def _worker_database(url: str, worker: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


# At import, not in pytest_configure: the conftest files below this one read the variable when they
# are imported, which for the folders named on the command line happens before pytest_configure.
_worker = os.environ.get("PYTEST_XDIST_WORKER")
_url = os.environ.get(URL_VARIABLE)
if _worker and _url and not _url.endswith(f"_{_worker}"):
    os.environ[URL_VARIABLE] = _worker_database(_url, _worker)
