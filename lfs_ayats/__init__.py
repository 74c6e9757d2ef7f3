"""lfs-ayats: a terminal telemetry studio for Live for Speed."""

__version__ = "0.1.0"
