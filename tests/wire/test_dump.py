"""`lfs-ayats dump`: packet-type filters and OutSim Opts as the user types them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lfs_ayats.cli import app
from lfs_ayats.packets import IS_TINY, encode
from lfs_ayats.wire.capture import CaptureWriter, Channel
from lfs_ayats.wire.dump import check_types, dump


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    path = tmp_path / "small.lfscap"
    with CaptureWriter(path, {"source": "test"}) as writer:
        writer.write(Channel.INSIM_TCP, encode(IS_TINY(ReqI=1, SubT=3)), t=0.5)
        writer.write(Channel.OUTGAUGE, bytes(92), t=0.6)
    return path


def test_type_filter_is_case_insensitive(capture: Path) -> None:
    lines: list[str] = []
    assert dump(capture, types=["outgauge"], echo=lines.append) == 1
    assert "OutGauge" in lines[0]


def test_an_unknown_type_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ValueError, match=r"unknown packet type 'IS_LPA' \(did you mean"):
        check_types(["IS_TINY", "IS_LPA"])


def test_cli_unknown_type_is_one_line(capture: Path) -> None:
    result = CliRunner().invoke(app, ["dump", str(capture), "--type", "BOGUS"])
    assert result.exit_code == 2 and "--type: unknown packet type 'BOGUS'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("opts", ["0x1ff", "1ff", "0X1FF"])
def test_cli_outsim_opts_in_hex_as_cfg_txt_writes_them(capture: Path, opts: str) -> None:
    result = CliRunner().invoke(app, ["dump", str(capture), "--outsim-opts", opts])
    assert result.exit_code == 0, result.output
    assert "IS_TINY" in result.output


@pytest.mark.parametrize(("opts", "says"), [("zz", "is not a hex number"), ("0x400", "outside 0 to 0x1ff")])
def test_cli_bad_outsim_opts_is_one_line(capture: Path, opts: str, says: str) -> None:
    result = CliRunner().invoke(app, ["dump", str(capture), "--outsim-opts", opts])
    assert result.exit_code == 2 and "--outsim-opts: " in result.output and says in result.output
