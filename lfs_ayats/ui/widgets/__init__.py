"""The app's widgets: channel sparklines, gauges, timing tower, lap table, plots, status and replay bars."""
