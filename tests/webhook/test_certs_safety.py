"""`podgate certs` in shared directories (issue 10 point 6): a planted symlink never redirects
the private key, created directories are 0700 whatever the umask, and an `--out` directory
that other users can write to (or own) is refused with exit 2 and one line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from podgate.webhook.pki import self_signed, write_bundle

PODGATE = [sys.executable, "-c", "from podgate.cli.main import main; main()"]


def certs(out: Path, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        [*PODGATE, "certs", "--self-signed", "--host", "localhost", "--out", str(out)],
        capture_output=True, text=True, timeout=60, check=False, preexec_fn=set_umask,
    )  # fmt: skip


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_planted_symlinks_at_the_old_temporary_name_and_the_target_are_not_followed(
    tmp_path: Path,
) -> None:
    out = tmp_path / "tls"
    out.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    # the old code opened <out>/<name>.tmp<PID> with O_CREAT|O_TRUNC, following a symlink
    for name in ("ca.crt", "tls.key", "tls.crt"):
        (out / f"{name}.tmp{os.getpid()}").symlink_to(victim)
    (out / "tls.key").symlink_to(victim)
    bundle = self_signed(["localhost"])
    write_bundle(bundle, str(out))
    assert victim.read_text() == "precious\n"
    key = out / "tls.key"
    assert not key.is_symlink() and key.read_bytes() == bundle.key_pem
    assert mode(key) == 0o600 and mode(out / "tls.crt") == 0o644
    leftovers = {p.name for p in out.iterdir()} - {"ca.crt", "tls.key", "tls.crt"}
    assert leftovers == {f"{n}.tmp{os.getpid()}" for n in ("ca.crt", "tls.key", "tls.crt")}


@pytest.mark.e2e
def test_directories_are_created_0700_under_umask_000(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "tls"
    done = certs(out, umask=0)
    assert done.returncode == 0, done.stderr
    for d in (tmp_path / "a", tmp_path / "a" / "b", out):
        assert mode(d) == 0o700, d
    assert mode(out / "tls.key") == 0o600
    assert mode(out / "ca.crt") == 0o644 and mode(out / "tls.crt") == 0o644


@pytest.mark.e2e
@pytest.mark.parametrize("dir_mode", [0o777, 0o1777, 0o770, 0o722], ids=oct)
def test_an_out_directory_others_can_write_is_refused(tmp_path: Path, dir_mode: int) -> None:
    out = tmp_path / "shared"
    out.mkdir()
    out.chmod(dir_mode)
    done = certs(out)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"--out {out}: writable by other users (mode {dir_mode:04o})" in done.stderr
    assert list(out.iterdir()) == []


@pytest.mark.e2e
def test_an_out_directory_reached_through_a_symlink_is_judged_by_its_target(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    link = tmp_path / "link"
    link.symlink_to(shared)
    done = certs(link)
    assert done.returncode == 2 and "writable by other users" in done.stderr
    assert list(shared.iterdir()) == []


@pytest.mark.e2e
@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_an_out_directory_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "theirs"
    out.mkdir(mode=0o755)
    os.chown(out, 54321, 54321)
    done = certs(out)
    assert done.returncode == 2
    assert f"--out {out}: owned by another user (uid 54321)" in done.stderr


@pytest.mark.e2e
def test_an_out_path_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "file"
    out.write_text("x")
    done = certs(out)
    assert done.returncode == 2 and f"--out {out}: not a directory" in done.stderr
