"""Where lfs-ayats keeps its files: config, data (database, captures, exports).

The platformdirs locations are the defaults; `LFS_AYATS_CONFIG_DIR` and `LFS_AYATS_DATA_DIR`
move them (tests and portable installs use that).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "lfs-ayats"


def config_dir() -> Path:
    """The folder that holds config.yaml."""
    override = os.environ.get("LFS_AYATS_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    """The YAML settings file (it need not exist)."""
    override = os.environ.get("LFS_AYATS_CONFIG")
    if override:
        return Path(override).expanduser()
    return config_dir() / "config.yaml"


def data_dir() -> Path:
    """The folder for the default database, captures and exports."""
    override = os.environ.get("LFS_AYATS_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_url() -> str:
    """SQLite in the data folder."""
    return f"sqlite:///{data_dir() / 'lfs-ayats.sqlite3'}"


def captures_dir() -> Path:
    return data_dir() / "captures"


def exports_dir() -> Path:
    return data_dir() / "exports"
