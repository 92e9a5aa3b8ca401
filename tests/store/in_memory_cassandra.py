"""InMemoryCassandraSession: the CassandraSession surface over dicts, for running the
store contract against the Cassandra store code where no cluster is available.

It executes exactly the statement shapes (and batches of them) in layout.STATEMENTS against the
tables of feed/store/cassandra/cql/*.cql (columns, primary keys, clustering order and added columns
read from the files), and checks each bound value against its column's type. It
does not model replicas, consistency, timestamps, TTLs or tombstones: the real cluster
run (tests/store/test_cassandra_store.py) stays the test of those.
"""

from __future__ import annotations

import collections
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from feed.store.cassandra.layout import STATEMENTS
from feed.store.cassandra.schema import added_column, schema_files

_PY_TYPES = {
    "bigint": int,
    "int": int,
    "counter": int,
    "text": str,
    "boolean": bool,
    "blob": bytes,
    "timeuuid": uuid.UUID,
}
_INT32 = range(-(1 << 31), 1 << 31)
_INT64 = range(-(1 << 63), 1 << 63)
_COND = re.compile(r"^(\w+) (=|<|>|IN) \?$")


def _order(value: Any) -> Any:
    """What Cassandra sorts a value by: a timeuuid by its time, then its low bytes as signed bytes."""
    if isinstance(value, uuid.UUID):
        assert value.version == 1, f"not a timeuuid: {value}"
        return value.time, tuple(b - 256 if b > 127 else b for b in value.bytes[8:])
    return value


class _Table:
    def __init__(self, statement: str) -> None:
        body = statement[statement.index("(") + 1 : statement.rindex(")")]
        self.types: dict[str, str] = {}
        for line in body.split(","):
            parts = line.split()
            if len(parts) >= 2 and parts[0] != "PRIMARY" and not parts[0].startswith("("):
                self.types[parts[0]] = parts[1]
        inline = re.search(r"(\w+) \w+ PRIMARY KEY", statement)
        if inline:
            self.partition, self.clustering = [inline.group(1)], []
        else:
            key = re.search(r"PRIMARY KEY \((.*)\)\s*\)", statement, re.S).group(1)
            if key.startswith("("):
                partition, _, rest = key[1:].partition(")")
            else:
                partition, _, rest = key.partition(",")
            self.partition = [c.strip() for c in partition.split(",")]
            self.clustering = [c.strip() for c in rest.split(",") if c.strip()]
        self.descending = "DESC)" in statement
        self.rows: dict[tuple, dict[tuple, dict[str, Any]]] = collections.defaultdict(dict)

    def check(self, column: str, value: Any) -> None:
        kind = self.types[column]
        if value is None:
            assert column not in self.partition + self.clustering, f"null key column {column}"
            return
        assert type(value) is _PY_TYPES[kind], f"{column} ({kind}) bound to {value!r}"
        if kind == "timeuuid":
            assert value.version == 1, f"{column} (timeuuid) bound to {value!r}"
        if kind == "int":
            assert value in _INT32, f"{column} out of int range: {value}"
        elif kind in ("bigint", "counter"):
            assert value in _INT64, f"{column} out of bigint range: {value}"

    def key(self, values: dict[str, Any]) -> tuple[tuple, tuple]:
        return tuple(values[c] for c in self.partition), tuple(values[c] for c in self.clustering)

    def ordered(self, partition: tuple) -> list[dict[str, Any]]:
        rows = self.rows.get(partition, {})
        keys = sorted(rows, key=lambda k: tuple(_order(v) for v in k), reverse=self.descending)
        return [rows[k] for k in keys]


def _load_tables() -> dict[str, _Table]:
    tables: dict[str, _Table] = {}
    for schema_file in schema_files():
        for statement in schema_file.statements:
            flat = " ".join(statement.split())
            added = added_column(statement)
            if added:
                tables[added[0]].types[added[1]] = flat.rsplit(" ", 1)[1]
            elif flat.startswith("CREATE TABLE"):
                tables[re.search(r"\{keyspace\}\.(\w+)", flat).group(1)] = _Table(flat)
    return tables


class Result:
    """What the stores read from a ResultSet: iteration, one(), was_applied."""

    def __init__(self, rows: list[Any], applied: bool | None = None) -> None:
        self._rows = rows
        self._applied = applied

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def one(self) -> Any:
        return self._rows[0] if self._rows else None

    @property
    def was_applied(self) -> bool:
        if self._applied is None:
            raise RuntimeError("was_applied on a statement that is not a lightweight transaction")
        return self._applied


def _row(values: dict[str, Any], columns: Sequence[str]) -> Any:
    return collections.namedtuple("Row", list(columns))(*(values.get(c) for c in columns))


class InMemoryCassandraSession:
    """One keyspace in memory behind CassandraSession's methods."""

    def __init__(self) -> None:
        self._tables = _load_tables()
        self._texts = {cql.name: " ".join(cql.text.split()) for cql in STATEMENTS}
        self.closed = False

    # CassandraSession's surface

    def execute(self, name: str, params: Sequence[Any]) -> Result:
        return self._run(self._texts[name], list(params))

    def execute_async(self, name: str, params: Sequence[Any], fetch_size: int | None = None) -> Result:
        return self.execute(name, params)

    def wait(self, future: Result, what: str = "a query") -> Result:
        return future

    def execute_many(self, name: str, params: Iterable[Sequence[Any]]) -> list[Result]:
        return [self.execute(name, p) for p in params]

    def execute_all(self, items: Sequence[tuple[str, Sequence[Any]]]) -> list[Result]:
        return [self.execute(name, params) for name, params in items]

    def execute_batches(self, batches: Sequence[Sequence[tuple[str, Sequence[Any]]]], logged: bool = True) -> None:
        """Each batch's statements in order; a batch holds no LWT or counter update, as Cassandra requires."""
        for items in batches:
            for name, params in items:
                text = self._texts[name]
                assert " IF " not in text and not re.search(r"SET (\w+) = \1 \+", text), f"{name} in a batch"
                assert text.startswith(("INSERT", "DELETE", "UPDATE")), f"{name} in a batch"
                self.execute(name, params)

    def stream(self, name: str, params: Sequence[Any], fetch_size: int) -> Iterator[Any]:
        yield from self.execute(name, params)

    def stream_started(self, future: Result) -> Iterator[Any]:
        yield from future

    def close(self) -> None:
        self.closed = True

    # statements

    def _run(self, text: str, params: list[Any]) -> Result:
        assert text.count("?") == len(params), f"{len(params)} values for {text}"
        verb = text.split(" ", 1)[0]
        return {"INSERT": self._insert, "SELECT": self._select, "DELETE": self._delete, "UPDATE": self._update}[verb](
            text, params
        )

    def _insert(self, text: str, params: list[Any]) -> Result:
        m = re.match(
            r"INSERT INTO (\w+) \((.*?)\) VALUES \((.*?)\)( USING (?:TIMESTAMP|TTL) \?)?( IF NOT EXISTS)?$", text
        )
        table = self._tables[m.group(1)]
        values: dict[str, Any] = {}
        for column, token in zip(m.group(2).split(", "), m.group(3).split(", "), strict=True):
            values[column] = params.pop(0) if token == "?" else {"true": True, "false": False}[token]
            table.check(column, values[column])
        if m.group(4):  # a write time or a TTL: neither is modelled (readers of TTL rows check expiry)
            assert type(params.pop(0)) is int
        partition, clustering = table.key(values)
        existing = table.rows[partition].get(clustering)
        if m.group(5) and existing is not None:
            return Result([_row(existing, ["applied", *existing])], applied=False)
        table.rows[partition][clustering] = {**(existing or {}), **values}
        return Result([], applied=True if m.group(5) else None)

    def _where(self, table: _Table, where: str, params: list[Any]) -> list[tuple[str, str, Any]]:
        conditions = []
        for part in where.split(" AND "):
            column, op = _COND.match(part).groups()
            value = params.pop(0)
            for item in value if op == "IN" else [value]:
                table.check(column, item)
            conditions.append((column, op, value))
        return conditions

    def _matching(self, table: _Table, conditions: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
        ops = {
            "=": lambda a, b: a == b,
            "<": lambda a, b: _order(a) < _order(b),
            ">": lambda a, b: _order(a) > _order(b),
            "IN": lambda a, b: a in b,
        }
        fixed = {c: v for c, op, v in conditions if op == "="}
        if all(c in fixed for c in table.partition):
            partitions = [tuple(fixed[c] for c in table.partition)]
        else:  # a scan: no restriction at all
            assert not conditions, "a query must name a whole partition or scan the table"
            partitions = list(table.rows)
        return [
            row
            for partition in partitions
            for row in table.ordered(partition)
            if all(ops[op](row[c], v) for c, op, v in conditions)
        ]

    def _select(self, text: str, params: list[Any]) -> Result:
        m = re.match(r"SELECT (DISTINCT )?(.*?) FROM (\w+)(?: WHERE (.*?))?( ORDER BY \w+ ASC)?( LIMIT \?)?$", text)
        distinct, columns, table = m.group(1), m.group(2).split(", "), self._tables[m.group(3)]
        if distinct:  # the partition keys of a whole table
            assert columns == table.partition and not m.group(4), text
            return Result(
                [_row(dict(zip(columns, key, strict=True)), columns) for key, rows in table.rows.items() if rows]
            )
        assert all(c in table.types for c in columns), text
        conditions = self._where(table, m.group(4), params) if m.group(4) else []
        rows = self._matching(table, conditions)
        if m.group(5):  # the clustering order reversed (one partition: _matching's rows are in its order)
            assert table.descending and len(table.clustering) == 1, text
            rows = rows[::-1]
        if m.group(6):
            limit = params.pop(0)
            assert type(limit) is int and 0 < limit < (1 << 31)
            rows = rows[:limit]
        return Result([_row(row, columns) for row in rows])

    def _delete(self, text: str, params: list[Any]) -> Result:
        m = re.match(r"DELETE FROM (\w+)( USING TIMESTAMP \?)? WHERE (.*?)( IF EXISTS| IF (\w+) = \?)?$", text)
        table = self._tables[m.group(1)]
        if m.group(2):
            assert type(params.pop(0)) is int
        conditions = self._where(table, m.group(3), params)
        if table.clustering and len(conditions) == len(table.partition):  # a whole partition
            assert not m.group(4), "no condition on a partition delete"
            table.rows.pop(tuple(v for _, _, v in conditions), None)
            return Result([])
        values = {c: v for c, _, v in conditions}
        partition, clustering = table.key(values)
        existing = table.rows[partition].get(clustering)
        applied = existing is not None
        if m.group(5):
            expected = params.pop(0)
            table.check(m.group(5), expected)
            applied = applied and existing.get(m.group(5)) == expected
        if applied or not m.group(4):
            table.rows[partition].pop(clustering, None)
        if not m.group(4):
            return Result([])
        extra = [] if applied or not m.group(5) or existing is None else [m.group(5)]
        return Result([_row({"applied": applied, **(existing or {})}, ["applied", *extra])], applied=applied)

    def _update(self, text: str, params: list[Any]) -> Result:
        counter = re.match(r"UPDATE (\w+) SET (\w+) = \2 \+ \? WHERE (\w+) = \?$", text)
        if counter:
            table = self._tables[counter.group(1)]
            delta, key = params
            table.check(counter.group(2), delta)
            table.check(counter.group(3), key)
            rows = table.rows[(key,)]
            row = rows.setdefault((), {counter.group(3): key, counter.group(2): 0})
            row[counter.group(2)] += delta
            return Result([])
        if text.endswith("IF version = ?"):
            return self._compare_and_set(text, params)
        m = re.match(r"UPDATE (\w+) SET (\w+) = (true|false) WHERE (\w+) = \? IF (\w+) = (true|false)$", text)
        table = self._tables[m.group(1)]
        (key,) = params
        table.check(m.group(4), key)
        row = table.rows[(key,)].get(())
        applied = row is not None and row.get(m.group(5)) == (m.group(6) == "true")
        if applied:
            row[m.group(2)] = m.group(3) == "true"
        return Result([_row({"applied": applied}, ["applied"])], applied=applied)

    def _compare_and_set(self, text: str, params: list[Any]) -> Result:
        """UPDATE t SET a = ?, b = ? ... WHERE key = ? IF column = ?: a refusal answers the column as it is
        (null when there is no row), as Cassandra does."""
        m = re.match(r"UPDATE (\w+) SET (.*?) WHERE (\w+) = \? IF (\w+) = \?$", text)
        table = self._tables[m.group(1)]
        columns = [part.removesuffix(" = ?") for part in m.group(2).split(", ")]
        *values, key, expected = params
        for column, value in zip([*columns, m.group(3), m.group(4)], [*values, key, expected], strict=True):
            table.check(column, value)
        row = table.rows[(key,)].get(())
        applied = row is not None and row.get(m.group(4)) == expected
        if applied:
            row.update(zip(columns, values, strict=True))
        current = None if row is None else row.get(m.group(4))
        return Result([_row({"applied": applied, m.group(4): current}, ["applied", m.group(4)])], applied=applied)
