"""`flask backup DIR` and `flask restore DIR`: the database and the uploads, with a manifest that proves them.

One command that knows where the portal keeps its data (DATABASE_URL, UPLOAD_DIR), so an operator's
backup cannot forget the uploads, and a restore that checks every file's checksum before it touches
anything and counts the rows afterwards. SQLite is copied with its online backup API (consistent while
the portal keeps writing); PostgreSQL with `pg_dump -Fc` from the same snapshot as the manifest's row
counts. The search index is left out on purpose: it is a cache of the database, rebuilt by
`flask search rebuild`.
"""

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from .extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
UPLOADS = "uploads"
CHUNK = 1024 * 1024


class BackupError(click.ClickException):
    """A backup or restore that cannot go on; nothing was changed when it is raised before the restore began."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- what a database holds --------------------------------------------------------------------------


def sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"Only an SQLite database in a file can be backed up, not {url.database or 'memory'}.")
    return Path(url.database)


def count_sql(name: str) -> sa.TextClause:
    return sa.text(f"SELECT count(*) FROM {quoted(name)}")  # noqa: S608 - a name from the catalogue, quoted


def sql_facts(conn: sa.Connection) -> tuple[dict[str, int], str | None]:
    """Rows per table and the Alembic revision, seen by this connection (its snapshot on PostgreSQL)."""
    counts = {name: conn.execute(count_sql(name)).scalar_one() for name in sorted(sa.inspect(conn).get_table_names())}
    revision = None
    if "alembic_version" in counts:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return counts, revision


def sqlite_facts(path: Path) -> tuple[dict[str, int], str | None]:
    """The same, read from the backup file itself (what it holds, not what the live file holds by now)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return sql_facts(conn)
    finally:
        engine.dispose()


def libpq(url: sa.URL) -> tuple[str, dict]:
    """A connection URI for pg_dump/pg_restore, and the environment carrying the password (not argv, which anyone sees)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def run_tool(args: list[str], env: dict) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(f"{args[0]} is not installed (Debian: apt-get install postgresql-client).")
    result = subprocess.run([tool, *args[1:]], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed ({result.returncode}):\n{result.stderr.strip()}")


# --- backup -------------------------------------------------------------------------------------------


def create_backup(target: Path) -> dict:
    """Write the database, the uploads and manifest.json into TARGET (new or empty); return the manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new directory.")
    target.mkdir(parents=True, exist_ok=True)
    engine = db.engine
    dialect = engine.dialect.name
    if dialect not in DATABASE_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {dialect}.")
    database_file = target / DATABASE_FILES[dialect]
    if dialect == "sqlite":
        source = sqlite3.connect(f"file:{sqlite_path(engine.url)}?mode=ro", uri=True)
        copy = sqlite3.connect(database_file)
        try:
            source.backup(copy)  # page by page, consistent even while the portal writes
        finally:
            copy.close()
            source.close()
        counts, revision = sqlite_facts(database_file)
    else:
        # The counts and the dump read one snapshot: what the manifest says is what the dump holds.
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            counts, revision = sql_facts(conn)
            uri, env = libpq(engine.url)
            run_tool(["pg_dump", "-Fc", f"--snapshot={snapshot}", f"--file={database_file}", f"--dbname={uri}"], env)
    uploads = Path(current_app.config["UPLOAD_DIR"])
    if uploads.is_dir():
        shutil.copytree(uploads, target / UPLOADS, symlinks=False)
    else:
        (target / UPLOADS).mkdir()
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "database": {"dialect": dialect, "file": database_file.name, "schema_revision": revision},
        "row_counts": counts,
        "files": file_list(target),
    }
    partial = target / (MANIFEST + ".part")
    partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    partial.replace(target / MANIFEST)  # a manifest exists only for a finished backup
    return manifest


def file_list(root: Path) -> list[dict]:
    return [
        {"path": path.relative_to(root).as_posix(), "size": path.stat().st_size, "sha256": sha256_of(path)}
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.startswith(MANIFEST)
    ]


# --- restore ------------------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} holds no {MANIFEST}: not a finished backup.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Backup format {manifest.get('format')} is not {FORMAT}.")
    return manifest


def verify_files(source: Path, manifest: dict) -> None:
    """Every file the manifest names is there with its size and checksum; anything else is a damaged backup."""
    problems = []
    for entry in manifest["files"]:
        path = source / entry["path"]
        if not path.is_file():
            problems.append(f"missing: {entry['path']}")
        elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            problems.append(f"checksum differs: {entry['path']}")
    if problems:
        raise BackupError("The backup is damaged; nothing was restored.\n  " + "\n  ".join(problems))


def holds_data(uploads: Path) -> list[str]:
    """What the target instance already holds: tables with rows (a bare migrated schema is empty) and upload files."""
    with db.engine.connect() as conn:
        counts, _ = sql_facts(conn)
    found = [f"{name}: {n} rows" for name, n in counts.items() if n and name != "alembic_version"]
    if uploads.is_dir() and any(p.is_file() for p in uploads.rglob("*")):
        found.append(f"files in {uploads}")
    return found


def restore_backup(source: Path, force: bool = False) -> dict:
    """Replace this instance's database and uploads with the backup in SOURCE; return the manifest."""
    manifest = read_manifest(source)
    engine = db.engine
    dialect = engine.dialect.name
    if manifest["database"]["dialect"] != dialect:
        raise BackupError(f"This is a {manifest['database']['dialect']} backup; the portal runs on {dialect}.")
    verify_files(source, manifest)
    uploads = Path(current_app.config["UPLOAD_DIR"])
    existing = holds_data(uploads)
    if existing and not force:
        raise BackupError("The target is not empty (" + "; ".join(existing[:5]) + "). Use --force to replace it.")
    database_file = source / manifest["database"]["file"]
    db.session.remove()
    engine.dispose()  # no pooled connection may keep the old pages or hold a lock
    if dialect == "sqlite":
        path = sqlite_path(engine.url)
        path.parent.mkdir(parents=True, exist_ok=True)
        backup = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
        live = sqlite3.connect(path)
        try:
            backup.backup(live)
        finally:
            live.close()
            backup.close()
    else:
        uri, env = libpq(engine.url)
        run_tool(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
             "--exit-on-error", f"--dbname={uri}", str(database_file)],
            env,
        )  # fmt: skip
    replace_uploads(source / UPLOADS, uploads)
    with engine.connect() as conn:
        counts, _ = sql_facts(conn)
    differs = [name for name, n in manifest["row_counts"].items() if counts.get(name) != n]
    if differs:
        raise BackupError("Restored, but these tables' row counts differ from the manifest: " + ", ".join(differs))
    return manifest


def replace_uploads(backup: Path, uploads: Path) -> None:
    """Copy beside the live folder, then swap: a failed copy leaves the old uploads in place."""
    uploads.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{uploads.name}-restoring-", dir=uploads.parent))
    shutil.copytree(backup, staging, dirs_exist_ok=True)
    if uploads.exists():
        old = uploads.with_name(f".{uploads.name}-replaced-{os.getpid()}")
        uploads.rename(old)
        staging.rename(uploads)
        shutil.rmtree(old)
    else:
        staging.rename(uploads)


# --- commands -----------------------------------------------------------------------------------------


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory):
    """Back up the database and the uploads into DIRECTORY (new or empty), with a manifest of checksums.

    Safe while the portal runs. The search index is not included: after a restore, rebuild it."""
    manifest = create_backup(directory)
    rows = sum(manifest["row_counts"].values())
    click.echo(
        f"Backed up {manifest['database']['dialect']} (revision {manifest['database']['schema_revision']}): "
        f"{len(manifest['row_counts'])} tables, {rows} rows, {len(manifest['files'])} files into {directory}."
    )


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a target that already holds rows or uploaded files.")
def restore_command(directory, force):
    """Restore a backup made by `flask backup` into this instance (stop the web server and worker first)."""
    manifest = restore_backup(directory, force=force)
    uploaded = sum(1 for entry in manifest["files"] if entry["path"].startswith(UPLOADS + "/"))
    click.echo(
        f"Restored the backup of {manifest['created_at']} (revision {manifest['database']['schema_revision']}): "
        f"{sum(manifest['row_counts'].values())} rows and {uploaded} uploaded files, checksums verified."
    )
    click.echo("The search index is not part of a backup: now run `flask --app portal search rebuild`.")


def init_app(app) -> None:
    for command in (backup_command, restore_command):
        app.cli.add_command(command)
