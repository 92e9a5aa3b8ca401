"""Versioned CQL schema: the numbered files in feed/store/cassandra/cql, applied once each and recorded.

Each file is applied whole, then recorded in schema_version with its checksum.
Every statement is CREATE ... IF NOT EXISTS or an ALTER TABLE ... ADD of one
column, skipped when the column is there, so a run interrupted half way is
finished by running again. Run it from one place (a deploy job, `feed schema
apply`), not from every service at start: concurrent CREATE TABLE on different
coordinators can leave Cassandra with two versions of one table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from importlib import resources
from typing import TYPE_CHECKING

from feed.errors import FailedPrecondition, Unavailable
from feed.store.cassandra.session import UNAVAILABLE_ERRORS, make_cluster

if TYPE_CHECKING:
    from cassandra.cluster import Cluster, Session

    from feed.store.cassandra.settings import CassandraSettings

log = logging.getLogger(__name__)

KEYSPACE_PLACEHOLDER = "{keyspace}"
# Made before the files are read, because it records which files were applied.
SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS {keyspace}.schema_version (
    version text PRIMARY KEY,
    checksum text,
    applied_at timestamp
)"""
SCHEMA_AGREEMENT_WAIT_S = 60  # DDL returns once every live node has the new schema, or fails
DDL_TIMEOUT_S = 60.0
# ALTER TABLE ADD IF NOT EXISTS needs Cassandra 4.1+, so an added column is checked for instead.
_ADD_COLUMN = re.compile(r"^ALTER TABLE \{keyspace\}\.(\w+) ADD (\w+) \w+$")
_FILE_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.cql$")


@dataclasses.dataclass(frozen=True)
class SchemaFile:
    """One numbered CQL file: its version (the file name without .cql) and its statements."""

    version: str
    checksum: str
    statements: tuple[str, ...]


def schema_files() -> list[SchemaFile]:
    """The CQL files shipped in feed/store/cassandra/cql, in version order."""
    found = []
    for entry in resources.files("feed.store.cassandra").joinpath("cql").iterdir():
        if not _FILE_NAME.match(entry.name):
            continue
        text = entry.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
        found.append(SchemaFile(entry.name.removesuffix(".cql"), checksum, tuple(split_statements(text))))
    return sorted(found, key=lambda f: f.version)


def split_statements(text: str) -> list[str]:
    """Split CQL into statements at semicolons, dropping -- // and /* */ comments; quotes respected."""
    statements, current, i = [], [], 0
    while i < len(text):
        char, pair = text[i], text[i : i + 2]
        if pair in ("--", "//"):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif pair == "/*":
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        elif char == "'":
            end = i + 1
            while end < len(text) and (text[end] != "'" or text[end : end + 2] == "''"):
                end += 2 if text[end : end + 2] == "''" else 1
            current.append(text[i : end + 1])
            i = end + 1
        elif char == ";":
            statements.append("".join(current).strip())
            current, i = [], i + 1
        else:
            current.append(char)
            i += 1
    statements.append("".join(current).strip())
    return [s for s in statements if s]


def added_column(statement: str) -> tuple[str, str] | None:
    """(table, column) if statement adds one column to a table, else None."""
    match = _ADD_COLUMN.match(" ".join(statement.split()))
    return (match.group(1), match.group(2)) if match else None


def render(statement: str, keyspace: str) -> str:
    """A statement with the keyspace filled in (keyspace names are validated to [a-z0-9_])."""
    return statement.replace(KEYSPACE_PLACEHOLDER, keyspace)


def apply_cassandra_schema(settings: CassandraSettings) -> list[str]:
    """Create the keyspace if needed and apply every file not yet recorded; return their versions."""
    try:
        cluster = make_cluster(settings, schema_wait_s=SCHEMA_AGREEMENT_WAIT_S)
    except UNAVAILABLE_ERRORS as exc:
        raise Unavailable(f"no Cassandra contact point resolves: {settings.contact_points}") from exc
    try:
        session = cluster.connect()
        keyspace = settings.keyspace
        _ddl(session, f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {settings.replication}")
        _ddl(session, render(SCHEMA_VERSION_TABLE, keyspace))
        recorded = {
            row.version: row.checksum
            for row in session.execute(f"SELECT version, checksum FROM {keyspace}.schema_version")
        }
        applied = []
        for schema_file in schema_files():
            if schema_file.version in recorded:
                if recorded[schema_file.version] != schema_file.checksum:
                    raise FailedPrecondition(
                        f"feed/store/cassandra/cql/{schema_file.version}.cql changed after it was applied to "
                        f"{keyspace}; "
                        "put schema changes in a new numbered file"
                    )
                continue
            for statement in schema_file.statements:
                added = added_column(statement)
                if added is None or not _has_column(cluster, keyspace, *added):
                    _ddl(session, render(statement, keyspace))
            session.execute(
                f"INSERT INTO {keyspace}.schema_version (version, checksum, applied_at) "
                "VALUES (%s, %s, toTimestamp(now()))",
                (schema_file.version, schema_file.checksum),
            )
            log.info("cassandra schema applied version=%s keyspace=%s", schema_file.version, keyspace)
            applied.append(schema_file.version)
        return applied
    except UNAVAILABLE_ERRORS as exc:
        raise Unavailable(f"Cassandra did not complete the schema change ({type(exc).__name__}: {exc})") from exc
    finally:
        cluster.shutdown()


def _has_column(cluster: Cluster, keyspace: str, table: str, column: str) -> bool:
    """Whether the table has the column, by the driver's schema metadata refreshed now."""
    cluster.refresh_table_metadata(keyspace, table)
    meta = cluster.metadata.keyspaces[keyspace].tables.get(table)
    return meta is not None and column in meta.columns


def _ddl(session: Session, statement: str) -> None:
    result = session.execute(statement, timeout=DDL_TIMEOUT_S)
    if not result.response_future.is_schema_agreed:
        raise Unavailable(
            f"the schema change did not reach every node within {SCHEMA_AGREEMENT_WAIT_S}s; "
            "check `nodetool describecluster`, then run `feed schema apply` again"
        )
