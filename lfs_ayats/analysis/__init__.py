"""Analysis: pure functions over polars frames and plain dataclasses (no UI toolkit).

- `align`: a lap cut at the line, on a distance axis (OutSim IndexedDistance, else projection onto
  the reference lap's driven path), and its time on a grid of lap distance.
- `compare`: the distance-aligned comparison of a lap with a reference (a lap or an envelope).
- `corners`: corners detected from geometry, per-lap corner metrics, braking points.
- `laps`, `consistency`: the lap table, theoretical bests, consistency and stint drift.
- `export`: CSV / JSON / Parquet files with a schema version, and copying a session.
- `anomalies`, `predict`, `trace`: unusual laps explained per segment, lap-time prediction.
- `load`: the same inputs read from the store (`store.queries`).
"""
