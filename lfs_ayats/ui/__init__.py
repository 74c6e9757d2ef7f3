"""The Textual app: live dashboard, sessions, laps, comparison, anomalies, replay. Built by `app.make_app`."""
