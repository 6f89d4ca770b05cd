"""`flask backup` and `flask restore` as an operator runs them: a populated instance is backed up and restored
into a fresh one (a new SQLite file, or a new PostgreSQL database when PORTAL_TEST_DATABASE_URL is one),
which then holds every row of every table and every uploaded file."""

import hashlib
import json
import os
import secrets
import shutil
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from ..e2e.liveserver import build_schema, flask, fresh_database, server_env

PNG = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(2000)  # the bytes matter, not the picture
PDF = b"%PDF-1.4\n" + secrets.token_bytes(5000) + b"\n%%EOF\n"


@contextmanager
def database(kind: str, tmp_dir: Path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / 'portal.sqlite3'}"
        return
    if not os.environ.get("PORTAL_TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("PORTAL_TEST_DATABASE_URL is not a PostgreSQL database")
    with fresh_database(tmp_dir) as url:  # a new database of its own, dropped afterwards
        yield url


def table_contents(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order, so two databases can be compared whole."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            metadata = sa.MetaData()
            metadata.reflect(conn)
            return {
                name: sorted((tuple(map(repr, row)) for row in conn.execute(sa.select(table))), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def checksums(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backed_up(request, tmp_path_factory):
    """A populated instance (the demo, a logo, an attachment) and its backup; a fresh empty instance beside it."""
    with ExitStack() as stack:
        source_dir = tmp_path_factory.mktemp(f"source-{request.param}")
        source_url = stack.enter_context(database(request.param, source_dir))
        source = server_env(source_url, source_dir)
        build_schema(source, migrations=False)  # the models' tables, as the rest of the functional tests
        flask(source, "db", "stamp", "head")  # ...recorded as the newest revision, as a migrated database is
        flask(source, "seed-demo")
        uploads = Path(source["PORTAL_UPLOAD_DIR"])
        (uploads / "logos").mkdir(parents=True)
        (uploads / "logos" / "tannery-logo.png").write_bytes(PNG)
        (uploads / "attachments").mkdir()
        (uploads / "attachments" / f"{secrets.token_hex(16)}.pdf").write_bytes(PDF)
        engine = sa.create_engine(source_url)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE company SET logo_filename = 'tannery-logo.png' WHERE id = (SELECT min(id) FROM company)"
                )
            )
        engine.dispose()

        backup_dir = tmp_path_factory.mktemp(f"backup-{request.param}") / "2026-12-01"
        output = flask(source, "backup", str(backup_dir))

        target_dir = tmp_path_factory.mktemp(f"target-{request.param}")
        target_url = stack.enter_context(database(request.param, target_dir))
        target = server_env(target_url, target_dir)
        yield {"source": source, "target": target, "backup": backup_dir, "output": output}


def test_the_manifest_describes_the_backup(backed_up):
    manifest = json.loads((backed_up["backup"] / "manifest.json").read_text())
    source = table_contents(backed_up["source"]["PORTAL_DATABASE_URL"])
    assert manifest["row_counts"] == {name: len(rows) for name, rows in source.items()}
    assert sum(1 for n in manifest["row_counts"].values() if n) >= 5  # the demo filled several tables
    assert manifest["database"]["schema_revision"] == source["alembic_version"][0][0].strip("'")
    files = {entry["path"]: entry for entry in manifest["files"]}
    assert files["uploads/logos/tannery-logo.png"]["size"] == len(PNG)
    assert files["uploads/logos/tannery-logo.png"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert any(path.startswith("uploads/attachments/") for path in files)
    assert manifest["database"]["file"] in files
    assert "index" not in json.dumps(manifest["files"])  # the search index is rebuilt, never backed up
    assert f"{len(manifest['files'])} files" in backed_up["output"]


def test_a_restore_into_a_fresh_instance_finds_every_row_and_file(backed_up):
    source, target = backed_up["source"], backed_up["target"]
    output = flask(target, "restore", str(backed_up["backup"]))
    assert "search rebuild" in output

    restored = table_contents(target["PORTAL_DATABASE_URL"])
    original = table_contents(source["PORTAL_DATABASE_URL"])
    assert {name: len(rows) for name, rows in restored.items()} == {name: len(rows) for name, rows in original.items()}
    assert restored == original
    assert checksums(Path(target["PORTAL_UPLOAD_DIR"])) == checksums(Path(source["PORTAL_UPLOAD_DIR"]))
    assert (Path(target["PORTAL_UPLOAD_DIR"]) / "logos" / "tannery-logo.png").read_bytes() == PNG


def test_a_restore_refuses_a_target_that_holds_data_unless_forced(backed_up):
    target = backed_up["target"]
    if not table_contents(target["PORTAL_DATABASE_URL"]):  # run alone: make the target hold the backup first
        flask(target, "restore", str(backed_up["backup"]))
    with pytest.raises(RuntimeError, match="(?s)not empty.*--force"):
        flask(target, "restore", str(backed_up["backup"]))
    extra = Path(target["PORTAL_UPLOAD_DIR"]) / "logos" / "only-here.png"
    extra.write_bytes(b"not in the backup")
    flask(target, "restore", "--force", str(backed_up["backup"]))
    assert not extra.exists()  # the uploads are the backup's, not a mix
    assert checksums(Path(target["PORTAL_UPLOAD_DIR"])) == checksums(Path(backed_up["source"]["PORTAL_UPLOAD_DIR"]))


def test_a_damaged_backup_is_refused_before_anything_changes(backed_up, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(backed_up["backup"], damaged)
    logo = damaged / "uploads" / "logos" / "tannery-logo.png"
    logo.write_bytes(logo.read_bytes()[:-1] + b"\x00")
    fresh = server_env("sqlite:///" + str(tmp_path / "untouched.sqlite3"), tmp_path)
    if "postgresql" in backed_up["source"]["PORTAL_DATABASE_URL"]:
        fresh = backed_up["target"]
    before = table_contents(fresh["PORTAL_DATABASE_URL"])
    with pytest.raises(RuntimeError, match="(?s)damaged.*checksum differs: uploads/logos/tannery-logo.png"):
        flask(fresh, "restore", "--force", str(damaged))
    assert table_contents(fresh["PORTAL_DATABASE_URL"]) == before


def test_a_backup_never_overwrites_another(backed_up):
    with pytest.raises(RuntimeError, match="not empty"):
        flask(backed_up["source"], "backup", str(backed_up["backup"]))
