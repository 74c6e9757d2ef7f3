"""Analysis: pure functions over polars frames and plain dataclasses (no UI toolkit)."""
