"""The `lfs-ayats` command: the composition root that wires concrete objects together.

Heavy modules are imported inside the commands so that `--help` and `--version` stay instant.
Errors a user can cause end as one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from . import __version__

app = typer.Typer(
    name="lfs-ayats",
    help="A terminal telemetry studio for Live for Speed.",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Show, locate or create the settings file.", no_args_is_help=True)
app.add_typer(config_app, name="config")


def fail(message: str, hint: str | None = None) -> NoReturn:
    """One line (plus an optional hint line) on stderr, exit status 2."""
    typer.echo(f"lfs-ayats: {message}", err=True)
    if hint:
        typer.echo(f"  hint: {hint}", err=True)
    raise typer.Exit(2)


def load_settings(config: Path | None = None, overrides: dict[str, Any] | None = None) -> Any:
    """Settings from file and environment, with flags on top; a bad value ends the command."""
    from .config import ConfigError, load

    try:
        settings = load(config)
    except ConfigError as exc:
        fail(str(exc), "run 'lfs-ayats config show' to see every setting and where it comes from")
    for key, value in (overrides or {}).items():
        try:
            settings = settings.with_overrides({key: value}, source=_FLAGS.get(key, "command line"))
        except ConfigError as exc:  # the flag is named: the settings file is not where to look
            fail(str(exc))
    return settings


# The flag that sets each setting, wherever a command offers one (for errors that name it).
_FLAGS = {"insim.host": "--host", "insim.port": "--port", "outgauge.port": "--outgauge-port",
          "outsim.port": "--outsim-port", "insim.interval_ms": "--interval", "insim.udp_port": "--udp-port",
          "db.url": "--db", "ui.refresh_hz": "--hz"}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lfs-ayats {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """A terminal telemetry studio for Live for Speed. Without a command: the app, connected to LFS."""
    if ctx.invoked_subcommand is None:
        live_command()


@config_app.command("path")
def config_path() -> None:
    """Print where the settings file is (or would be)."""
    from . import paths

    typer.echo(str(paths.config_file()))


@config_app.command("show")
def config_show(
    config: Annotated[Path | None, typer.Option(help="Read this settings file instead.")] = None,
) -> None:
    """Print every setting, its value and where the value comes from."""
    from .config import SETTINGS, shown

    if config is not None and not config.is_file():
        fail(f"--config {config}: no such file", "'lfs-ayats config init --config FILE' writes one")
    settings = load_settings(config)
    width = max(len(s.key) for s in SETTINGS)
    for s in SETTINGS:
        typer.echo(f"{s.key:<{width}}  {shown(settings, s.key):<24}  ({settings.source(s.key)})")


@config_app.command("init")
def config_init(
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    config: Annotated[Path | None, typer.Option(help="Write this file instead.")] = None,
) -> None:
    """Write a settings file with every setting at its default, documented."""
    from . import paths
    from .config import render_template

    target = config or paths.config_file()
    if target.exists() and not force:
        fail(f"{target} already exists", "add --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_template(), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
    typer.echo(f"wrote {target}")


def _address(value: str | None, option: str) -> tuple[str, int] | None:
    """HOST:PORT (or just PORT, meaning 127.0.0.1) -> a UDP address."""
    if not value:
        return None
    host, _, port = value.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        fail(f"{option} {value!r}: expected HOST:PORT, e.g. 127.0.0.1:30000")
    if not 0 < number < 65536:
        fail(f"{option} {value!r}: the port must be 1 to 65535")
    return (host or "127.0.0.1", number)


@app.command("sim")
def sim_command(
    port: Annotated[int, typer.Option(min=0, max=65535, help="InSim TCP port to listen on (0 = any free port).")]
    = 29999,
    cars: Annotated[int, typer.Option(min=1, max=48, help="Cars in the field.")] = 12,
    track: Annotated[str, typer.Option(help="Track code (see --list-tracks).")] = "GM1",
    mode: Annotated[str, typer.Option(help="race, qualify or practice.")] = "race",
    laps: Annotated[int, typer.Option(min=1, help="Race distance in laps.")] = 5,
    minutes: Annotated[float | None, typer.Option(min=0.1, help="Qualifying/practice length in minutes.")]
    = None,
    car: Annotated[str, typer.Option(help="Car code for the whole field (XFG, XRT, FXR, FBM, MRT).")] = "XFG",
    seed: Annotated[int, typer.Option(help="Same seed, same session.")] = 0,
    speed: Annotated[float, typer.Option(min=0, help="Times real time (0 = as fast as possible).")] = 1.0,
    outgauge: Annotated[str | None, typer.Option(help="Send OutGauge to HOST:PORT.")] = None,
    outsim: Annotated[str | None, typer.Option(help="Send OutSim (OutSimPack2, Opts 1ff) to HOST:PORT.")] = None,
    hz: Annotated[float, typer.Option(min=1, max=100, help="OutGauge/OutSim updates per second.")] = 60.0,
    admin: Annotated[str, typer.Option(help="Admin password InSim programs must give.")] = "",
    truth: Annotated[Path | None, typer.Option(help="Write the ground truth (laps, incidents, pits) as JSON.")] = None,
    list_tracks: Annotated[bool, typer.Option("--list-tracks", help="List the tracks and exit.")] = False,
) -> None:
    """Run the built-in LFS simulator headless: an InSim host on loopback with OutGauge and OutSim."""
    import asyncio
    import logging

    from .sim.run import SimOptions, describe_tracks, run_simulator

    if list_tracks:
        typer.echo(describe_tracks())
        return
    logging.basicConfig(level=logging.WARNING, format="lfs-ayats sim: %(message)s")
    options = SimOptions(
        port=port, cars=cars, track=track, mode=mode, laps=laps, minutes=minutes, car=car, seed=seed,
        speed=speed, outgauge=_address(outgauge, "--outgauge"), outsim=_address(outsim, "--outsim"), hz=hz,
        admin=admin, truth=truth,
    )
    try:
        asyncio.run(run_simulator(options, echo=typer.echo))
    except KeyboardInterrupt:
        typer.echo("stopped")
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head -1`): not an error
    except (ValueError, KeyError, OSError) as exc:
        fail(_message(exc))


def _message(exc: BaseException) -> str:
    """An exception as one line; a KeyError's str() would wrap its message in quotes."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    from .wire.udp import UdpPortError

    if isinstance(exc, UdpPortError) and exc.strerror:  # str() would start with "[Errno 98]"
        return exc.strerror
    return str(exc)


@app.command("record")
def record_command(
    file: Annotated[Path, typer.Argument(help="The capture file to write (.lfscap).")],
    host: Annotated[str | None, typer.Option(help="LFS host [config insim.host].")] = None,
    port: Annotated[int | None, typer.Option(help="LFS InSim port [config insim.port].")] = None,
    password_env: Annotated[str | None, typer.Option(
        help="Environment variable holding the admin password [default LFS_AYATS_INSIM_PASSWORD].")] = None,
    outgauge_port: Annotated[int | None, typer.Option(help="UDP port for OutGauge, 0 = off [config].")] = None,
    outsim_port: Annotated[int | None, typer.Option(help="UDP port for OutSim, 0 = off [config].")] = None,
    interval: Annotated[int | None, typer.Option(help="ms between position updates [config].")] = None,
    udp_port: Annotated[int | None, typer.Option(help="Receive positions (IS_MCI) by UDP on this port [config].")]
    = None,
    duration: Annotated[float | None, typer.Option(min=0.1, help="Stop after this many seconds.")] = None,
    status_every: Annotated[float, typer.Option(min=0.1, help="Seconds between status lines.")] = 5.0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Record everything LFS sends (InSim, OutGauge, OutSim) into a capture file, headless."""
    import asyncio
    import os

    from .wire.capture import CaptureError
    from .wire.record_cli import record

    settings = load_settings(overrides={
        "insim.host": host, "insim.port": port, "outgauge.port": outgauge_port, "outsim.port": outsim_port,
        "insim.interval_ms": interval, "insim.udp_port": udp_port,
    })
    password = settings["insim.password"]
    if password_env:
        if password_env not in os.environ:
            fail(f"--password-env {password_env}: that environment variable is not set")
        password = os.environ[password_env]
    try:
        asyncio.run(record(file, settings, password, duration, status_every, force, echo=typer.echo))
    except KeyboardInterrupt:
        typer.echo("stopped")
    except CaptureError as exc:
        fail(str(exc), "add --force to overwrite it" if "exists" in str(exc) else None)
    except (OSError, ValueError) as exc:
        fail(_message(exc))


@app.command("dump")
def dump_command(
    file: Annotated[Path, typer.Argument(help="A capture file.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    packet_type: Annotated[list[str] | None, typer.Option("--type", help="Only these packets (repeatable), "
                                                          "e.g. IS_LAP, OutGauge, marker.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many lines.")] = None,
    outsim_opts: Annotated[str | None, typer.Option(help="OutSim Opts if not recognised from the size, as in "
                                                    "cfg.txt (hex, e.g. 0x1ff or 1ff).")] = None,
) -> None:
    """Print the decoded packets of a capture, one per line."""
    from .wire.capture import CaptureError
    from .wire.dump import check_types, dump

    opts = None if outsim_opts is None else _outsim_opts(outsim_opts)
    if packet_type:
        try:
            check_types(packet_type)
        except ValueError as exc:
            fail(f"--type: {exc}", hint="e.g. IS_LAP, IS_MCI, OutGauge, OutSim2, marker")
    try:
        dump(file, as_json=as_json, types=packet_type, limit=limit, outsim_opts=opts, echo=typer.echo)
    except CaptureError as exc:
        fail(str(exc))
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`): not an error


def _outsim_opts(text: str) -> int:
    """OutSim Opts as cfg.txt writes them: hex, with or without `0x` (`1ff`, `0x1ff`)."""
    raw = text.strip().lower().removeprefix("0x")
    try:
        value = int(raw, 16)
    except ValueError:
        fail(f"--outsim-opts: {text!r} is not a hex number such as 0x1ff")
    if not 0 <= value <= 0x1FF:
        fail(f"--outsim-opts: {text} is outside 0 to 0x1ff")
    return value


db_app = typer.Typer(help="Locate, describe or compact the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
DbOption = Annotated[str | None, typer.Option("--db", help="Database URL [config db.url, LFS_AYATS_DB; "
                                              "default SQLite in the data folder].")]


def _db_url(db: str | None) -> str:
    from .store.engine import resolve_url

    return resolve_url(load_settings(overrides={"db.url": db})["db.url"])


def _store(db: str | None) -> Any:
    """An open store (schema checked and upgraded), or a one-line error."""
    from .store.engine import StoreError, open_store

    try:
        return open_store(_db_url(db))
    except StoreError as exc:
        fail(str(exc))


def _echo_json(value: Any) -> None:
    import json

    typer.echo(json.dumps(value, indent=2, default=str))


def _table(rows: list[dict[str, Any]], columns: list[str], optional: tuple[str, ...] = ()) -> None:
    """Plain aligned columns (no colour, so it pipes well). On a terminal too narrow for all of them,
    the `optional` columns are left out, in that order, until the rest fits."""
    cells = {c: [("" if r.get(c) is None else str(r.get(c))) for r in rows] for c in columns}
    widths = {c: max([len(c), *(len(v) for v in cells[c])]) for c in columns}
    shown = list(columns)
    room = _terminal_width()
    for name in optional:
        if room is None or sum(widths[c] + 2 for c in shown) - 2 <= room:
            break
        shown.remove(name)
    typer.echo("  ".join(c.ljust(widths[c]) for c in shown).rstrip())
    for i in range(len(rows)):
        typer.echo("  ".join(cells[c][i].ljust(widths[c]) for c in shown).rstrip())


def _terminal_width() -> int | None:
    """The terminal's columns (or $COLUMNS); None when the output goes to a file or a pipe."""
    import os
    import shutil

    if os.environ.get("COLUMNS", "").isdigit() or sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="Capture files (.lfscap) to import.")],
    db: DbOption = None,
) -> None:
    """Import captures into the database as sessions (a capture imported before is skipped)."""
    from .store.ingest import import_capture
    from .wire.capture import CaptureError

    for file in files:
        if not file.is_file():
            fail(f"{file}: {'a folder, not a capture file' if file.is_dir() else 'no such capture file'}")
    engine = _store(db)
    for file in files:
        try:
            if sys.stderr.isatty():
                from rich.console import Console
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

                with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                              TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
                    task = bar.add_task(file.name, total=None)

                    def advance(done: int, total: int, task: Any = task) -> None:
                        bar.update(task, completed=done, total=total)

                    result = import_capture(file, engine, progress=advance)
            else:
                result = import_capture(file, engine)
        except CaptureError as exc:
            fail(str(exc))
        except Exception as exc:
            message = _environment_failure(exc)
            if message is None:
                raise
            from .store.engine import mask_url

            url = mask_url(engine.url.render_as_string(hide_password=False))
            fail(f"{file}: not imported into {url} ({message}); nothing of it was kept, so it can be imported again")
        for warning in result.warnings:
            typer.echo(f"lfs-ayats: warning: {warning}", err=True)
        ids = ", ".join(str(i) for i in result.session_ids) or "none"
        if result.already:
            typer.echo(f"{file}: already imported (session {ids}); nothing written")
        else:
            c = result.counters
            typer.echo(f"{file}: session {ids}: {c.laps} laps, {c.events} events, {c.samples} samples")


@app.command("sessions")
def sessions_command(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
    db: DbOption = None,
) -> None:
    """List the sessions in the database."""
    from .store import queries

    rows = queries.sessions(_store(db))
    if as_json:
        _echo_json(rows)
    elif not rows:
        typer.echo("no sessions yet: 'lfs-ayats import FILE' adds a capture")
    else:
        shown = [{**r, "started (UTC)": _utc_minute(r["started_at"])} for r in rows]
        _table(shown, ["id", "track", "mode", "cars", "drivers", "laps", "source", "started (UTC)"],
               optional=("source", "cars"))


def _utc_minute(iso: str | None) -> str:
    """'2026-11-24 13:15' from an ISO 8601 time (UTC when it names no zone, as the store writes it)."""
    from datetime import UTC, datetime

    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


@app.command("laps")
def laps_command(
    session_id: Annotated[int | None, typer.Argument(help="Only this session.")] = None,
    driver: Annotated[str | None, typer.Option(help="Only this driver (name, any case).")] = None,
    clean: Annotated[bool, typer.Option("--clean", help="Only clean laps.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
    db: DbOption = None,
) -> None:
    """List laps with their times, splits and whether they are clean (and why not)."""
    from .store import queries
    from .telemetry.laps import lap_clock

    engine = _store(db)
    if session_id is not None and queries.session(engine, session_id) is None:
        fail(f"no session {session_id}", "'lfs-ayats sessions' lists them")
    rows = queries.laps(engine, session_id, driver=driver, clean=True if clean else None)
    if as_json:
        _echo_json(rows)
        return
    # "clean" shows why not in its place: a lap with a reason is not clean.
    shown = [{**r, "session": r["session_id"], "time": lap_clock(r["time_ms"]),
              "clean": "yes" if r["clean"] else (r["reason"] or "no"),
              "splits": " ".join("-" if s is None else lap_clock(s) for s in r["splits_ms"])} for r in rows]
    columns = ["id", "session", "driver", "car", "lap", "time", "splits", "clean"]
    if session_id is not None:
        columns.remove("session")  # given on the command line
    _table(shown, columns, optional=("car", "splits"))


@db_app.command("path")
def db_path_command(db: DbOption = None) -> None:
    """Print the database URL in use (password masked) or, for SQLite, its file."""
    from .store.engine import mask_url, sqlite_path

    url = _db_url(db)
    path = sqlite_path(url)
    typer.echo(str(path) if path else mask_url(url))


@db_app.command("info")
def db_info_command(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON object.")] = False,
    db: DbOption = None,
) -> None:
    """Print the database's URL, schema version, size and row counts."""
    from .store.admin import info

    details = info(_store(db))
    if as_json:
        _echo_json(details)
        return
    width = max(len(k) for k in details)
    for key, value in details.items():
        typer.echo(f"{key:<{width}}  {'' if value is None else value}")


@db_app.command("vacuum")
def db_vacuum_command(db: DbOption = None) -> None:
    """Compact the database (SQLite VACUUM; PostgreSQL VACUUM ANALYZE)."""
    from .store.admin import vacuum

    engine = _store(db)
    vacuum(engine)
    typer.echo("vacuumed")


def _need(modules: tuple[str, ...], what: str, extra: str) -> None:
    """One line naming the missing extra, instead of an ImportError."""
    import importlib

    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        fail(f"{what} needs the optional '{extra}' dependencies ({', '.join(missing)} missing): "
             f'pip install "lfs-ayats[{extra}]"')


def _token(token_env: str | None, host: str) -> str | None:
    """The access token from --token-env; refused without one on an address other than loopback."""
    import os

    from .api.auth import is_loopback

    token = None
    if token_env:
        token = os.environ.get(token_env, "")
        if not token.strip():
            fail(f"--token-env {token_env}: that environment variable is not set (or empty)")
        token = token.strip()
    if token is None and not is_loopback(host):
        fail(f"--host {host} is not a loopback address: anyone who can reach it could read your data; "
             "give an access token with --token-env VAR (every request must then carry it)")
    return token


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on; other than loopback needs --token-env.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port for HTTP and WebSocket.")] = 8000,
    db: DbOption = None,
    live: Annotated[bool, typer.Option("--live", help="Stream LFS live on the WebSocket (InSim + OutGauge/OutSim, "
                                       "settings as for 'record').")] = False,
    demo: Annotated[bool, typer.Option("--demo", help="Stream the built-in simulator on the WebSocket.")] = False,
    token_env: Annotated[str | None, typer.Option(help="Environment variable holding an access token that every "
                                                  "request must carry (Authorization: Bearer, or ?token=).")] = None,
    cars: Annotated[int, typer.Option(min=1, max=48, help="--demo: cars in the simulated field.")] = 12,
    track: Annotated[str, typer.Option(help="--demo: track code (see 'lfs-ayats sim --list-tracks').")] = "GM1",
    seed: Annotated[int, typer.Option(help="--demo: the first session's seed.")] = 0,
) -> None:
    """Serve the HTTP API (sessions, laps, telemetry, comparisons) and the live WebSocket stream."""
    _need(("fastapi", "uvicorn"), "'lfs-ayats serve'", "api")
    import asyncio

    from .api import make_api
    from .api.server import ServeError, bind, serve
    from .telemetry.snapshot import follow

    if live and demo:
        fail("--live and --demo exclude each other: give one")
    token = _token(token_env, host)
    engine = _store(db)
    source: Any = None
    if demo:
        source = _demo_source(cars=cars, track=track, laps=5, car="XFG", seed=seed)
    elif live:
        from dataclasses import replace

        from .telemetry.live import LiveSource

        # the file and LFS_AYATS_* variables, as 'record'; a busy UDP port stops it before InSim connects
        source = LiveSource(replace(_live_options(load_settings()), strict_udp=True))
    api = make_api(engine, follow(source, "demo" if demo else "live") if source is not None else None, token=token)
    try:
        sock = bind(host, port)
    except ServeError as exc:
        fail(str(exc))
    # What the server sees live is stored as the app would store it: /sessions lists it.
    writer = _store_what_it_sees(engine, source, "demo" if demo else "live") if source is not None else None
    try:
        if source is not None:
            _start_source(source)
            if source.problems:  # the app runs on without a busy UDP port; a server would hide it
                fail("; ".join(source.problems))
        asyncio.run(serve(api, sock, echo=typer.echo))
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        if source is not None:
            source.stop()
        if writer is not None:
            writer.stop()
        sock.close()


@app.command("web")
def web_command(
    app_args: Annotated[list[str] | None, typer.Argument(
        help="The app's command and options after '--', e.g. '-- demo --cars 8' (default: the app on LFS).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless --allow-remote).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port for the browser.")] = 8001,
    public_url: Annotated[str | None, typer.Option(help="The URL browsers use, if not http://HOST:PORT "
                                                   "(behind a proxy).")] = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow a non-loopback --host: anyone who "
                                               "reaches it gets the app, there is no access token.")] = False,
) -> None:
    """Serve the Textual app to a web browser (textual-serve); each browser tab runs its own app."""
    _need(("textual_serve",), "'lfs-ayats web'", "web")
    from .api.auth import is_loopback
    from .api.server import ServeError, bind, url
    from .api.web import make_web_server

    if not is_loopback(host) and not allow_remote:
        fail(f"--host {host} is not a loopback address and the web app has no access token",
             "add --allow-remote if every machine that can reach it may use the app")
    try:
        bind(host, port).close()  # a port in use is one clear line here, not an aiohttp traceback
        server = make_web_server(app_args or [], host=host, port=port, public_url=public_url)
    except (ServeError, ValueError) as exc:
        fail(str(exc))
    typer.echo(f"lfs-ayats in the browser: {public_url or url(host, port)} (runs: {server.command}) — Ctrl-C to stop")
    server.serve()


# -- the app ---------------------------------------------------------------------------------------------


def _app_store(db: str | None, required: bool) -> tuple[Any, str]:
    """(engine, label) for the app; an unusable database ends the command if `required`, else runs without."""
    from .store.engine import StoreError, mask_url, open_store, sqlite_path

    url = _db_url(db)
    path = sqlite_path(url)
    label = path.name if path else mask_url(url)
    try:
        return open_store(url), label
    except StoreError as exc:
        if required:
            fail(str(exc), "--db URL chooses another database")
        typer.echo(f"lfs-ayats: {exc} (stored sessions are not shown)", err=True)
        return None, ""


def _app_settings(overrides: dict[str, Any]) -> Any:
    """Settings for the app: as `load_settings`, and a `ui.theme` Textual knows (it would be ignored silently)."""
    from textual.theme import BUILTIN_THEMES

    settings = load_settings(overrides=overrides)
    if settings["ui.theme"] not in BUILTIN_THEMES:
        where = settings.source("ui.theme")
        where = f"environment variable {where[1:]}" if where.startswith("$") else where
        fail(f"{where}: ui.theme: {settings['ui.theme']!r} is not a Textual theme",
             f"one of {', '.join(sorted(BUILTIN_THEMES))}")
    return settings


def _run_app(settings: Any, source: Any, engine: Any, database: str) -> None:
    from .ui.app import make_app

    make_app(settings, source, engine, database=database).run()


def _live_options(settings: Any, host_port: tuple[str, int] | None = None, record: Path | None = None) -> Any:
    from .telemetry.live import LiveOptions
    from .wire.tcp import ClientOptions

    host, port = host_port or (settings["insim.host"], settings["insim.port"])
    opts = settings["outsim.opts"]
    return LiveOptions(
        ClientOptions(host=host, port=port, password=settings["insim.password"], app_name=settings["insim.app_name"],
                      interval_ms=settings["insim.interval_ms"], udp_port=settings["insim.udp_port"]),
        outgauge_port=settings["outgauge.port"], outsim_port=settings["outsim.port"],
        outsim_opts=None if opts < 0 else opts, record=record)


@app.command("live")
def live_command(
    host: Annotated[str | None, typer.Option(help="LFS host [config insim.host].")] = None,
    port: Annotated[int | None, typer.Option(help="LFS InSim port [config insim.port].")] = None,
    db: DbOption = None,
    record: Annotated[Path | None, typer.Option(help="Also record everything into this capture file.")] = None,
    hz: Annotated[int | None, typer.Option(min=1, max=20, help="Screen updates per second [config ui.refresh_hz].")]
    = None,
) -> None:
    """The app connected to LFS (also what plain `lfs-ayats` runs); stores the session as it is driven."""
    from .telemetry.live import LiveSource

    settings = _app_settings({"insim.host": host, "insim.port": port, "db.url": db, "ui.refresh_hz": hz})
    if record is not None and record.exists():
        fail(f"{record} already exists: captures are never overwritten", "choose another file name")
    _run_live_app(settings, LiveSource(_live_options(settings, record=record)), db, "live")


@app.command("demo")
def demo_command(
    cars: Annotated[int, typer.Option(min=1, max=48, help="Cars in the simulated field.")] = 12,
    track: Annotated[str, typer.Option(help="Track code (see 'lfs-ayats sim --list-tracks').")] = "GM1",
    seed: Annotated[int, typer.Option(help="Same seed, same race.")] = 1,
    laps: Annotated[int, typer.Option(min=1, help="Race distance in laps.")] = 10,
    car: Annotated[str, typer.Option(help="Car code for the whole field.")] = "XFG",
    db: DbOption = None,
    hz: Annotated[int | None, typer.Option(min=1, max=20, help="Screen updates per second [config ui.refresh_hz].")]
    = None,
) -> None:
    """The built-in simulator on free loopback ports and the app connected to it, stored in the database."""
    settings = _app_settings({"db.url": db, "ui.refresh_hz": hz})
    _run_live_app(settings, _demo_source(cars=cars, track=track, laps=laps, car=car, seed=seed), db, "demo")


def _run_live_app(settings: Any, source: Any, db: str | None, kind: str) -> None:
    """The app on a live or demo source (started here, stopped at the end), storing what it sees."""
    engine, label = _app_store(db, required=db is not None)
    writer = _store_what_it_sees(engine, source, kind)
    try:
        _start_source(source)
        _run_app(settings, source, engine, label)
    finally:
        source.stop()
        if writer is not None:
            writer.stop()


def _store_what_it_sees(engine: Any, source: Any, kind: str) -> Any:
    """A started store writer listening to a live or demo source (None without a database)."""
    if engine is None:
        return None
    from datetime import UTC, datetime

    from .store.sink import SourceInfo
    from .store.writer import StoreWriter

    writer = StoreWriter(engine, SourceInfo(kind, started_at=datetime.now(UTC))).start()
    source.add_listener(writer.queue)
    return writer


def _demo_source(*, cars: int, track: str, laps: int, car: str, seed: int) -> Any:
    """The simulator and a link to it (not started); a bad track or car ends the command in one line."""
    from .sim.layouts import LAYOUTS
    from .sim.run import SimOptions
    from .telemetry.demo import DemoSource

    if track.upper() not in LAYOUTS:
        fail(f"--track {track}: unknown track; known: {', '.join(LAYOUTS)}", "'lfs-ayats sim --list-tracks'")
    try:
        return DemoSource(SimOptions(cars=cars, track=track, laps=laps, car=car, seed=seed, hz=60.0))
    except (ValueError, KeyError) as exc:
        fail(_message(exc))


def _start_source(source: Any) -> None:
    """Start a live or demo source; what stops it from starting ends the command in one line."""
    from .wire.capture import CaptureError

    try:
        source.start()
    except (CaptureError, OSError) as exc:
        source.stop()
        fail(str(exc))


@app.command("replay")
def replay_command(
    file: Annotated[Path, typer.Argument(help="A capture file (.lfscap) to play back.")],
    speed: Annotated[float, typer.Option(min=0.1, max=16, help="Playback speed, 0.1 to 16.")] = 1.0,
    start: Annotated[float, typer.Option(min=0, help="Start at this many seconds.")] = 0.0,
    paused: Annotated[bool, typer.Option("--paused", help="Open paused.")] = False,
    db: DbOption = None,
) -> None:
    """The app fed from a capture: play/pause, speed 0.1x to 16x, seek, next lap, next incident."""
    from .telemetry.playback import ReplaySource
    from .wire.capture import CaptureError

    if not file.is_file():
        fail(f"{file}: {'a folder, not a capture file' if file.is_dir() else 'no such capture file'}")
    settings = _app_settings({"db.url": db})
    try:
        source = ReplaySource(file, speed=speed, start=start, paused=paused)
        source.start()
    except CaptureError as exc:
        fail(str(exc))
    engine, label = _app_store(db, required=db is not None)
    try:
        _run_app(settings, source, engine, label)
    finally:
        source.stop()


# -- analysis: analyze, compare, corners, export, copy-session ---------------------------------------------

RefOption = Annotated[str, typer.Option("--ref", help="Reference: best (session's fastest clean lap), last, "
                                        "alltime (track + car), envelope (median of the best clean laps) or a lap id.")]


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, markup=False, soft_wrap=True)


def _rich_table(title: str) -> Any:
    """A table for the terminal: no vertical rules, one space between columns, so 80 columns hold a lap's row."""
    from rich import box
    from rich.table import Table

    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                 padding=(0, 1), collapse_padding=True)


def _number_column(table: Any, name: str, width: int) -> None:
    """A right-aligned column that is never wrapped or cut: the text columns give way first."""
    table.add_column(name, justify="right", no_wrap=True, min_width=max(width, len(name)))


def _ms(value: float | None) -> str:
    from .telemetry.laps import lap_clock

    return "-" if value is None else lap_clock(round(value))


def _signed_ms(value: float | None) -> str:
    return "-" if value is None else f"{value / 1000:+.3f}"


def _analysis_errors() -> tuple[type[BaseException], ...]:
    from .analysis.compare import NoReference
    from .analysis.export import ExportError
    from .analysis.load import LapNotFound

    return (LapNotFound, NoReference, ExportError, ValueError)


@app.command("analyze")
def analyze_command(
    session_id: Annotated[int, typer.Argument(help="The session (see 'lfs-ayats sessions').")],
    as_json: Annotated[bool, typer.Option("--json", help="A JSON object.")] = False,
    minisector: Annotated[float, typer.Option(min=20, max=500, help="Minisector length in metres.")] = 100.0,
    db: DbOption = None,
) -> None:
    """Lap table, theoretical bests (official splits, 100 m minisectors) and consistency per driver."""
    from .analysis.laps import analyze_session

    engine = _store(db)
    try:
        result = analyze_session(engine, session_id, minisector_m=minisector)
    except _analysis_errors() as exc:
        fail(str(exc), "'lfs-ayats sessions' lists them")
    if as_json:
        summary = result.summary()
        for driver, d in zip(summary["drivers"], result.drivers, strict=True):
            driver["lap_table"] = d.table.to_dicts()
        _echo_json(summary)
        return
    console = _console()
    s = result.session
    console.print(f"session {s.get('id')}: {s.get('track')} {s.get('mode')}, {len(result.drivers)} drivers")
    for d in result.drivers:
        table = _rich_table(f"{d.driver} ({d.car}, PLID {d.plid})")
        sectors = [c for c in d.table.columns if c.startswith("sector")]
        rows = [(str(row["lap"]), _ms(row["time_ms"]), *[_ms(row[c]) for c in sectors],
                 _signed_ms(row["delta_to_best_ms"]),
                 # "clean" and why not, in one column: a lap with a reason is not clean.
                 "yes" if row["clean"] else (row["reason"] or "no")
                 + (f" +{len(row['reasons']) - 1}" if len(row["reasons"]) > 1 else ""))
                for row in d.table.iter_rows(named=True)]
        for i, name in enumerate(("lap", "time", *[f"S{k + 1}" for k in range(len(sectors))], "Δ best")):
            _number_column(table, name, max((len(r[i]) for r in rows), default=1))
        table.add_column("clean", overflow="fold")
        for cells in rows:
            table.add_row(*cells)
        console.print(table)
        info = d.summary()
        tb, gain, c = info["theoretical_best"], info["potential_gain"], d.consistency
        console.print(f"  best {_ms(d.best_ms)}  theoretical: splits {_ms(tb['split_ms'])} "
                      f"(gain {_signed_ms(gain['split_ms'])})")
        console.print(f"  minisectors over {tb['minisector_laps']} laps: {_ms(tb['minisector_naive_ms'])} naive "
                      f"(gain {_signed_ms(gain['minisector_naive_ms'])}), {_ms(tb['minisector_realistic_ms'])} "
                      f"P10 (gain {_signed_ms(gain['minisector_realistic_ms'])})")
        if c.n >= 2:
            console.print(f"  consistency: {c.n} clean laps, σ {c.sigma_ms / 1000:.3f} s, "  # noqa: RUF001
                          f"CV {c.cv * 100:.2f} %, "
                          f"IQR {c.iqr_ms / 1000:.3f} s, within 0.5 % of best {c.within_half_percent * 100:.0f} %")
        drifts = [f"stint {x.stint}: {x.slope_s_per_lap:+.3f} s/lap" for x in d.drift if x.slope_s_per_lap is not None]
        if drifts:
            console.print("  drift: " + ", ".join(drifts))
        peaks = d.band_peaks()
        if peaks:
            where = [f"{p['s_m']:.0f} m (σ {p['sigma_kmh']:.1f} km/h)" for p in peaks]  # noqa: RUF001
            console.print("  least consistent at: " + ", ".join(where))


def _comparison(engine: Any, lap_id: int, ref: str, step: float) -> tuple[Any, Any]:
    """(comparison, corner report or None) for the CLI."""
    from .analysis.compare import REFERENCES, compare_laps
    from .analysis.corners import corner_map, corner_report
    from .analysis.load import LapSource
    from .store import queries

    if ref not in REFERENCES and not ref.isdigit():
        fail(f"--ref {ref!r}: expected one of {', '.join(REFERENCES)} or a lap id")
    source = LapSource(engine)
    try:
        comparison = compare_laps(source, lap_id, int(ref) if ref.isdigit() else ref, step_m=step)
    except _analysis_errors() as exc:
        fail(str(exc))
    lap = source.lap(lap_id)
    session = queries.session(engine, lap["session_id"]) or {}
    try:
        report = corner_report(comparison, corner_map(source, lap["track"], session.get("layout") or ""))
    except ValueError:
        report = None  # no lap to detect corners on: the comparison stands alone
    return comparison, report


@app.command("compare")
def compare_command(
    lap_id: Annotated[int, typer.Argument(help="The lap to compare (see 'lfs-ayats laps').")],
    ref: RefOption = "best",
    step: Annotated[float, typer.Option(min=0.5, max=50, help="Grid step in metres of lap distance.")] = 2.0,
    top: Annotated[int, typer.Option(min=1, help="How many of the costliest corners to list.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON object (summary and corner report).")] = False,
    db: DbOption = None,
) -> None:
    """Δ to a reference lap on the distance axis: Δ at the line, closure error, the corners that cost most."""
    from .analysis.corners import causes, costliest

    comparison, report = _comparison(_store(db), lap_id, ref, step)
    if as_json:
        _echo_json({**comparison.summary(), "corners": [] if report is None else report.to_dicts()})
        return
    console = _console()
    s = comparison.summary()
    console.print(f"lap {lap_id} ({s['lap']}) vs {s['reference']}: {s['reference_label']} "
                  f"[{', '.join(str(i) for i in s['reference_ids'])}]")
    console.print(f"Δ at the line {s['delta_s']:+.3f} s (official {s['official_delta_s']:+.3f} s), "
                  f"closure error {s['closure_ms']:.1f} ms [{s['closure']}], axis {s['axis']}, "
                  f"{s['length_m']:.0f} m every {s['step_m']:g} m")
    if report is None:
        return
    worst = costliest(report, top)
    table = _rich_table("corners that cost most (speeds in km/h)")
    table.add_column("corner", overflow="fold")
    rows = [(f"{row['delta_s']:+.3f}", f"{row['v_entry_kmh']:.0f}", f"{row['v_min_kmh']:.0f}",
             f"{row['v_exit_kmh']:.0f}", "-" if row["brake_delta_m"] is None else f"{row['brake_delta_m']:+.0f} m")
            for row in worst.iter_rows(named=True)]
    for i, name in enumerate(("Δ s", "entry", "min", "exit", "brake Δ")):
        _number_column(table, name, max((len(r[i]) for r in rows), default=1))
    table.add_column("why", overflow="fold")
    for row, cells in zip(worst.iter_rows(named=True), rows, strict=True):
        table.add_row(row["name"], *cells, ", ".join(causes(row)))
    if worst.height:
        console.print(table)
    else:
        console.print("no corner lost time against the reference")


@app.command("corners")
def corners_command(
    track: Annotated[str, typer.Argument(help="Track code, e.g. BL1.")],
    layout: Annotated[str, typer.Option(help="Autocross layout name, if any.")] = "",
    rename: Annotated[tuple[int, str] | None, typer.Option(help="Rename corner N: --rename 3 'Hairpin'.")] = None,
    redetect: Annotated[bool, typer.Option("--redetect", help="Detect the corners again.")] = False,
    lap: Annotated[int | None, typer.Option(help="Detect them on this lap (default: the fastest clean lap).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
    db: DbOption = None,
) -> None:
    """The corners of a track layout (detected once from a lap's path, then stored), renamable."""
    from .analysis.corners import corner_map
    from .analysis.corners import rename as rename_corner

    engine = _store(db)
    if rename is not None:
        number, name = rename
        if not name.strip():
            fail("--rename: the name is empty")
        try:
            corner_map(engine, track, layout)  # detected first if they never were
        except _analysis_errors() as exc:
            fail(str(exc))
        if not rename_corner(engine, track, layout, number, name.strip()):
            fail(f"{track}{'/' + layout if layout else ''} has no corner {number}", f"'lfs-ayats corners {track}' "
                 "lists them")
    try:
        found = corner_map(engine, track, layout, lap_id=lap, redetect=redetect)
    except _analysis_errors() as exc:
        fail(str(exc))
    rows = [{"number": c.number, "name": c.name, "entry_m": round(c.entry_m, 1), "apex_m": round(c.apex_m, 1),
             "exit_m": round(c.exit_m, 1), "direction": c.direction, "turn_deg": c.turn_deg} for c in found.corners]
    if as_json:
        _echo_json({"track": track, "layout": layout, "length_m": found.length_m, "axis": found.axis,
                    "source_lap_id": found.source_lap_id, "corners": rows})
        return
    typer.echo(f"{track}{'/' + layout if layout else ''}: {len(rows)} corners on a {found.length_m:.0f} m lap "
               f"(lap {found.source_lap_id}, {found.axis} axis)")
    _table(rows, ["number", "name", "entry_m", "apex_m", "exit_m", "direction", "turn_deg"])


@app.command("export")
def export_command(
    fmt: Annotated[str | None, typer.Option("--format", help="csv, json or parquet [config export.format].")] = None,
    session: Annotated[int | None, typer.Option("--session", help="Export this session.")] = None,
    lap: Annotated[int | None, typer.Option("--lap", help="Export this lap's samples.")] = None,
    compare: Annotated[int | None, typer.Option("--compare", help="Export this lap's comparison.")] = None,
    ref: RefOption = "best",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File (JSON) or file stem (CSV, Parquet: "
                                                "one file per table, STEM.TABLE.csv) [default: in config "
                                                "export.folder].")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    db: DbOption = None,
) -> None:
    """Write a session, a lap or a comparison as CSV, JSON or Parquet (each file has a schema version)."""
    from .analysis import export as ex

    chosen = [name for name, value in (("--session", session), ("--lap", lap), ("--compare", compare))
              if value is not None]
    if len(chosen) != 1:
        fail("give exactly one of --session, --lap or --compare")
    settings = load_settings()
    try:
        writer = ex.get_format(fmt or settings["export.format"])
    except ex.ExportError as exc:
        fail(str(exc))
    if output is None:
        from . import paths

        folder = Path(settings["export.folder"]) if settings["export.folder"] else paths.exports_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot create {folder}: {exc.strerror or exc}")
    engine = _store(db)
    try:
        if session is not None:
            export, stem = ex.session_export(engine, session), f"session-{session}"
        elif lap is not None:
            export, stem = ex.lap_export(engine, lap), f"lap-{lap}"
        else:
            assert compare is not None
            comparison, report = _comparison(engine, compare, ref, 2.0)
            export, stem = ex.comparison_export(comparison, report), f"compare-{compare}-{ref}"
        files = ex.write_export(export, writer.name, output or folder / (stem + writer.suffix), force=force)
    except _analysis_errors() as exc:
        fail(str(exc), "add --force to overwrite" if "already exists" in str(exc) else None)
    for file in files:
        typer.echo(f"wrote {file}")


@app.command("copy-session")
def copy_session_command(
    session_id: Annotated[int, typer.Argument(help="The session to copy.")],
    to: Annotated[str, typer.Option("--to", help="The target database URL (created if needed).")],
    db: DbOption = None,
) -> None:
    """Copy a session (drivers, laps, events, samples) into another database."""
    from .analysis.export import copy_session
    from .store.engine import StoreError, mask_url, open_store

    engine = _store(db)
    try:
        target = open_store(to)
    except StoreError as exc:
        fail(str(exc))
    try:
        new_id = copy_session(engine, session_id, target)
    except _analysis_errors() as exc:
        fail(str(exc))
    typer.echo(f"copied session {session_id} to {mask_url(to)} as session {new_id}")


# -- anomalies and prediction (analysis.anomalies, analysis.predict) ----------------------------------------


def _session_or_fail(engine: Any, session_id: int) -> dict[str, Any]:
    from .store import queries

    found = queries.session(engine, session_id)
    if found is None:
        fail(f"no session {session_id}", "'lfs-ayats sessions' lists them")
    return found


ANOMALY_CHANNELS = ("lap_distance_m", "speed_mps")


@app.command("anomalies")
def anomalies_command(
    session_id: Annotated[int, typer.Argument(help="The session whose laps to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list of the flags.")] = False,
    db: DbOption = None,
) -> None:
    """Find the laps and corners unusual for their driver (IsolationForest + robust z), store and list the flags.

    Each track and car of the session is judged against every stored lap of that track and car, on
    the layout's corners (detected once from geometry and stored, see analysis.corners).
    """
    import polars as pl

    from .analysis.anomalies import detect, lap_inputs, segments_from_corners, summary_line
    from .analysis.corners import corner_map
    from .store import queries

    engine = _store(db)
    layout = _session_or_fail(engine, session_id)["layout"] or ""
    session_laps = queries.laps(engine, session_id)
    rows: list[dict[str, Any]] = []
    for track, car in sorted({(lap["track"], lap["car"]) for lap in session_laps}):
        history = [lap for lap in queries.laps(engine) if lap["track"] == track and lap["car"] == car]
        frames = [queries.telemetry(engine, sid, channels=ANOMALY_CHANNELS).with_columns(
                  pl.lit(sid).alias("session_id")) for sid in sorted({lap["session_id"] for lap in history})]
        inputs = lap_inputs(pl.concat(frames, how="diagonal_relaxed"), history)
        if not inputs:
            continue
        segments = None
        try:
            corners = corner_map(engine, track, layout)
            length = min(float(i.trace.distance_m[-1]) for i in inputs)
            segments = segments_from_corners(corners.scaled(length), length) if corners.corners else None
        except (ValueError, KeyError):
            pass  # no lap with a path to find corners on: the median speed's troughs stand in
        mine = {lap["id"] for lap in session_laps}
        for flag in detect(inputs, segments):
            if flag.lap_id in mine:
                rows.append({**flag.as_row(), "track": track, "car": car})
    queries.replace_anomalies(engine, session_id, rows)
    stored = queries.anomalies(engine, session_id)
    if as_json:
        _echo_json(stored)
    elif not stored:
        typer.echo(f"session {session_id}: no anomalies ({len(session_laps)} laps checked)")
    else:
        for row in stored:
            typer.echo(summary_line(row))


@app.command("predict")
def predict_command(
    session_id: Annotated[int, typer.Argument(help="The session.")],
    driver: Annotated[str | None, typer.Option(help="Only this driver (name, any case).")] = None,
    laps_ahead: Annotated[int, typer.Option("--laps", min=1, max=50, help="How many laps ahead.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list, one object per driver.")] = False,
    db: DbOption = None,
) -> None:
    """Predict each driver's next laps from the clean laps of their current stint (Theil-Sen, p10-p90)."""
    from .analysis.predict import forecast_stint, stint_laps
    from .store import queries
    from .telemetry.laps import lap_clock

    engine = _store(db)
    _session_or_fail(engine, session_id)
    rows = queries.laps(engine, session_id, driver=driver)
    if driver is not None and not rows:
        fail(f"no laps of driver {driver!r} in session {session_id}", f"'lfs-ayats laps {session_id}' lists them")
    out = []
    for name in dict.fromkeys(r["driver"] for r in rows):
        stint = stint_laps([r for r in rows if r["driver"] == name])
        clean = [r for r in stint if r["clean"]]
        forecast = forecast_stint([r["lap"] for r in clean], [r["time_ms"] / 1000 for r in clean], ahead=laps_ahead)
        item: dict[str, Any] = {"driver": name, "stint_laps": [r["lap"] for r in stint],
                                "clean_laps": len(clean), "forecast": None}
        if forecast is not None:
            item["forecast"] = {"slope_s_per_lap": round(forecast.slope_s_per_lap, 4),
                                "laps": [{"lap": n, "predicted_s": round(m, 3), "p10_s": round(lo, 3),
                                          "p90_s": round(hi, 3)} for n, m, lo, hi in
                                         zip(forecast.laps, forecast.predicted_s, forecast.p10_s, forecast.p90_s,
                                             strict=True)]}
        out.append(item)
    if as_json:
        _echo_json(out)
        return
    if not out:
        typer.echo(f"session {session_id}: no laps yet")
    for item in out:
        f = item["forecast"]
        if f is None:
            typer.echo(f"{item['driver']}: too few clean laps in the stint ({item['clean_laps']}) to predict")
            continue
        laps_text = ", ".join(f"L{x['lap']} {lap_clock(round(x['predicted_s'] * 1000))} "
                              f"({lap_clock(round(x['p10_s'] * 1000))}-{lap_clock(round(x['p90_s'] * 1000))})"
                              for x in f["laps"])
        typer.echo(f"{item['driver']}: {laps_text}; drift {f['slope_s_per_lap']:+.3f} s/lap "
                   f"over {item['clean_laps']} clean laps")


def _environment_failure(exc: BaseException) -> str | None:
    """One line for a failure of the machine or the database (disk full, connection lost), else None.

    Commands name what they were doing where they can; this is the net under them, so that a full
    disk or a database that went away never ends in a traceback.
    """
    if isinstance(exc, OSError):
        where = exc.filename or "disk"
        return f"{where}: {exc.strerror or exc}"
    if type(exc).__module__.startswith("sqlalchemy"):
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        return f"database error: {first}"
    return None


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        message = _environment_failure(exc)
        if message is None:
            raise
        typer.echo(f"lfs-ayats: {message}", err=True)
        sys.exit(2)
