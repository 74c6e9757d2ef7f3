"""Persistence: sessions, drivers, laps, events and telemetry in any SQLAlchemy database.

    engine = open_store(url)               # engine.py: connect, check and upgrade the schema
    import_capture(path, engine)           # ingest.py: a capture -> sessions
    writer = StoreWriter(engine); feed.add_listener(writer.queue)   # writer.py: live, batched
    queries.laps(engine, session_id=1)     # queries.py: the read side

Tables (tables.py) hold no behaviour; samples are stored as per-car, per-lap columnar blocks
(compressed Arrow IPC, blocks.py), everything else as ordinary rows written with Core executemany.
"""
