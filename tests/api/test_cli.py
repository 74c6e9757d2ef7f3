"""`lfs-ayats serve` and `lfs-ayats web` from the command line: one-line refusals, a real server, the web command."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from lfs_ayats.api.web import tui_command

TIMEOUT_S = 60


def run(*args: str, env: dict[str, str] | None = None, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{prelude}import sys; sys.argv = ['lfs-ayats', *{list(args)!r}]; from lfs_ayats.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=TIMEOUT_S)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = dict(os.environ)
    values["LFS_AYATS_CONFIG_DIR"] = str(tmp_path / "config")
    values["LFS_AYATS_DATA_DIR"] = str(tmp_path / "data")
    return values


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("lfs-ayats: ") and all(w in result.stderr for w in words), result.stderr


def test_serve_without_the_api_extra(env: dict[str, str]) -> None:
    result = run("serve", env=env, prelude="import sys; sys.modules['fastapi'] = None; ")
    one_line_error(result, 'pip install "lfs-ayats[api]"', "fastapi")
    assert len(result.stderr.splitlines()) == 1


def test_web_without_the_web_extra(env: dict[str, str]) -> None:
    result = run("web", env=env, prelude="import sys; sys.modules['textual_serve'] = None; ")
    one_line_error(result, 'pip install "lfs-ayats[web]"')


@pytest.mark.parametrize(("args", "words"), [
    (["serve", "--host", "0.0.0.0"], ["not a loopback address", "--token-env"]),
    (["serve", "--host", "192.168.7.7", "--token-env", "LFS_AYATS_NO_SUCH_VARIABLE"], ["is not set"]),
    (["serve", "--live", "--demo"], ["exclude each other"]),
    (["serve", "--demo", "--track", "XX9"], ["--track XX9: unknown track"]),
    (["web", "--host", "0.0.0.0"], ["not a loopback address", "--allow-remote"]),
    (["web", "--", "serve"], ["'lfs-ayats serve' does not open the app"]),
])
def test_refusals_are_one_line(env: dict[str, str], args: list[str], words: list[str]) -> None:
    one_line_error(run(*args, env=env), *words)


def test_a_port_in_use(env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        one_line_error(run("serve", "--port", port, env=env), f"port {port}", "already in use")
        one_line_error(run("web", "--port", port, env=env), f"port {port}", "already in use")


def test_live_with_a_udp_port_in_use(env: dict[str, str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("0.0.0.0", 0))
        taken = str(busy.getsockname()[1])
        env["LFS_AYATS_OUTGAUGE_PORT"] = taken
        result = run("serve", "--live", "--port", str(free_port()), env=env)
    one_line_error(result, f"UDP port {taken} for OutGauge is already in use")
    assert "Errno" not in result.stderr


def _start(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "lfs_ayats", "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # printed once the live link runs and the port is bound
    return proc, line


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == 0 and "Traceback" not in err, err
    return out


def test_serve_demo_end_to_end(env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    env["TOKEN_FOR_TEST"] = "tok-123"
    proc, line = _start(env, "--demo", "--cars", "6", "--port", str(port), "--db", f"sqlite:///{tmp_path}/a.db",
                        "--token-env", "TOKEN_FOR_TEST")
    try:
        assert f"http://127.0.0.1:{port}/api/v1" in line and "/api/v1/telemetry/live" in line
        base = f"http://127.0.0.1:{port}"
        assert httpx2.get(f"{base}/api/v1/status", timeout=TIMEOUT_S).status_code == 401
        status = httpx2.get(f"{base}/api/v1/status", headers={"authorization": "Bearer tok-123"},
                            timeout=TIMEOUT_S).json()
        assert status["live"]["source"] == "demo"
        with connect(f"ws://127.0.0.1:{port}/api/v1/telemetry/live?hz=20&token=tok-123",
                     open_timeout=TIMEOUT_S) as ws:
            state: dict[str, Any] = {"field": []}
            while len(state["field"]) < 6:  # the first states may come before the first IS_MCI
                state = json.loads(ws.recv(timeout=TIMEOUT_S))
        assert state["type"] == "state" and state["link"]["source"] == "demo"
        assert all(car["driver"] for car in state["field"])
        with pytest.raises(InvalidStatus) as refused:  # the handshake itself is refused without the token
            connect(f"ws://127.0.0.1:{port}/api/v1/telemetry/live", open_timeout=TIMEOUT_S)
        assert refused.value.response.status_code == 403
    finally:
        out = _stop(proc)
    assert "stopped" in out
    # What the server saw is stored like the app stores it (the clean stop flushes the writer).
    from lfs_ayats.store import queries
    from lfs_ayats.store.engine import open_store

    stored = queries.sessions(open_store(f"sqlite:///{tmp_path}/a.db"))
    assert [(s["track"], s["source"], s["drivers"]) for s in stored] == [("GM1", "demo", 6)]


def test_web_builds_the_server_with_the_app_command(env: dict[str, str]) -> None:
    prelude = ("from textual_serve.server import Server; "
               "Server.serve = lambda self, debug=False: print('SERVE', self.command, self.host, self.port, "
               "self.title); ")
    result = run("web", "--port", str(free_port()), "--", "demo", "--cars", "8", env=env, prelude=prelude)
    assert result.returncode == 0, result.stderr
    served = next(line for line in result.stdout.splitlines() if line.startswith("SERVE"))
    assert served.startswith(f"SERVE {tui_command(['demo', '--cars', '8'])} 127.0.0.1 ")
    assert served.endswith(" lfs-ayats")


def test_the_app_command_line() -> None:
    assert tui_command([]).endswith(" -m lfs_ayats") and tui_command([]).startswith(sys.executable)
    assert tui_command(["replay", "my race.lfscap"]).endswith("-m lfs_ayats replay 'my race.lfscap'")
    with pytest.raises(ValueError, match="does not open the app"):
        tui_command(["web"])
