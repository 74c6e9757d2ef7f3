"""Telemetry: LFS packets -> events in SI units -> session state (players, laps, splits, clean laps).

    from lfs_ayats.telemetry.feed import Feed
    feed = Feed(listeners=[print])
    feed.feed_frame(t, frame)

Modules: `units` (the scales), `validate` (physical limits), `events` (the vocabulary), `convert`
(packets -> events), `car_sets` (IS_MCI sets), `session` (state), `laps` (lap book and clean-lap
reasons), `track_ruler` (lap distance), `kinematics` (accelerations), `gaps` (node passage gaps),
`buffers` (ring buffers for the live UI), `feed` (the pipeline), `sources` (captures, the live queue).
"""
