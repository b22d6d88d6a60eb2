"""A PostgreSQL journal's connection and schema: many workers, one job, one budget per account.

``journal="postgresql://user@host/db?schema=name"`` names the server and the PostgreSQL schema
that holds the tables (default ``contactgroups``; the password, if any, is never logged nor
shown). The driver is asyncpg (``pip install contactgroups[postgres]``), imported here on first
use only. The SDK creates the schema and migrates it, versioned in
``contactgroups_schema_version``, under an advisory lock so workers starting together migrate
once. Nothing but SQL crosses between machines: PostgreSQL is the only coordinator.

Tables: ``jobs`` (action, state, rounds), ``accounts`` (name, provider, cap, ``paused_until``),
``targets`` (job, position, provider, account, group), ``ids`` (one row per id: its state code as
in the SQLite journal, its error as JSON, the chunk it travels in), ``chunks`` (the unit of work:
pending, leased to a worker until ``lease_until``, or done; ``dirty`` while a lease has not been
recorded), ``workers`` (who is alive, for ``jobs status``). ``claim_chunk`` leases one chunk in one
round trip, within its account's cap; ``record_chunk`` records it in another.
"""

from __future__ import annotations

import importlib
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import anyio

from ..errors import JournalError

__all__ = [
    "DEFAULT_SCHEMA",
    "LATEST",
    "MIGRATIONS",
    "PgJournal",
    "is_postgres_url",
    "redact_url",
]

DEFAULT_SCHEMA = "contactgroups"
#: The longest the SDK waits on PostgreSQL for one thing: a statement, a connection, a close.
WAIT = 60.0
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

_V1 = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, action TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    state TEXT NOT NULL DEFAULT 'running', rounds INTEGER NOT NULL,
    created TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), finished TIMESTAMPTZ);
CREATE TABLE accounts (
    name TEXT PRIMARY KEY, provider TEXT NOT NULL, cap INTEGER NOT NULL CHECK (cap > 0),
    paused_until TIMESTAMPTZ);
CREATE TABLE targets (
    job TEXT NOT NULL REFERENCES jobs ON DELETE CASCADE, position INTEGER NOT NULL,
    provider TEXT NOT NULL, account TEXT NOT NULL REFERENCES accounts, group_id TEXT NOT NULL,
    PRIMARY KEY (job, position));
CREATE TABLE chunks (
    job TEXT NOT NULL, position INTEGER NOT NULL, number INTEGER NOT NULL,
    account TEXT NOT NULL REFERENCES accounts,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'leased', 'done')),
    lease_owner TEXT, lease_until TIMESTAMPTZ,
    not_before TIMESTAMPTZ NOT NULL DEFAULT '-infinity', attempts INTEGER NOT NULL DEFAULT 0,
    dirty BOOLEAN NOT NULL DEFAULT false, PRIMARY KEY (job, position, number),
    FOREIGN KEY (job, position) REFERENCES targets ON DELETE CASCADE);
CREATE INDEX chunks_open ON chunks (account, state) WHERE state <> 'done';
CREATE INDEX chunks_open_by_job ON chunks (job) WHERE state <> 'done';
CREATE TABLE ids (
    job TEXT NOT NULL, position INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL,
    given TEXT, state SMALLINT NOT NULL DEFAULT 0, error JSONB,
    retry BOOLEAN NOT NULL DEFAULT false, unsure BOOLEAN NOT NULL DEFAULT false, wait REAL,
    chunk INTEGER, PRIMARY KEY (job, position, key),
    FOREIGN KEY (job, position) REFERENCES targets ON DELETE CASCADE);
CREATE INDEX ids_chunk ON ids (job, position, chunk);
CREATE TABLE workers (
    id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,
    started TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    seen TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), stopped TIMESTAMPTZ);

-- Lease one chunk of a running job for p_owner, within its account's cap and pause, and return
-- it with the ids still to settle. The account row is locked first (SKIP LOCKED: a claim for it
-- under way sends this one to another account), then its live leases are counted again with a
-- fresh snapshot: no two claims ever see the same count. "dirty" comes back as it was: true when
-- an earlier lease ended without its outcomes recorded. A row with a NULL job means "accounts
-- with work were busy being claimed for: ask again soon".
CREATE FUNCTION claim_chunk(p_owner TEXT, p_lease DOUBLE PRECISION, p_job TEXT, p_accounts TEXT[])
RETURNS TABLE (job TEXT, "position" INTEGER, number INTEGER, account TEXT, dirty BOOLEAN,
               attempts INTEGER, keys TEXT[])
LANGUAGE plpgsql AS $$
DECLARE
    acc RECORD;
    live INTEGER;
    ch RECORD;
    busy BOOLEAN := false;
BEGIN
    FOR acc IN
        SELECT a.name, a.cap FROM accounts a
        WHERE (a.paused_until IS NULL OR a.paused_until <= clock_timestamp())
          AND (p_accounts IS NULL OR a.name = ANY (p_accounts))
          AND (SELECT count(*) FROM chunks c WHERE c.account = a.name AND c.state = 'leased'
               AND c.lease_until >= clock_timestamp()) < a.cap
          AND EXISTS (
              SELECT 1 FROM chunks c JOIN jobs j ON j.id = c.job
              WHERE c.account = a.name AND j.state = 'running'
                AND (p_job IS NULL OR c.job = p_job)
                AND ((c.state = 'pending' AND c.not_before <= clock_timestamp())
                     OR (c.state = 'leased' AND c.lease_until < clock_timestamp())))
        ORDER BY random()
    LOOP
        PERFORM 1 FROM accounts a WHERE a.name = acc.name
            AND (a.paused_until IS NULL OR a.paused_until <= clock_timestamp())
            FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            busy := true;
            CONTINUE;
        END IF;
        SELECT count(*) INTO live FROM chunks c
            WHERE c.account = acc.name AND c.state = 'leased'
              AND c.lease_until >= clock_timestamp();
        CONTINUE WHEN live >= acc.cap;
        SELECT c.job, c.position, c.number, c.dirty, c.attempts INTO ch FROM chunks c
            JOIN jobs j ON j.id = c.job
            WHERE c.account = acc.name AND j.state = 'running'
              AND (p_job IS NULL OR c.job = p_job)
              AND ((c.state = 'pending' AND c.not_before <= clock_timestamp())
                   OR (c.state = 'leased' AND c.lease_until < clock_timestamp()))
            ORDER BY c.dirty DESC, c.job, c.position, c.number
            LIMIT 1 FOR UPDATE OF c SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        UPDATE chunks c SET state = 'leased', lease_owner = p_owner,
                lease_until = clock_timestamp() + p_lease * interval '1 second',
                attempts = c.attempts + 1, dirty = true
            WHERE c.job = ch.job AND c.position = ch.position AND c.number = ch.number;
        RETURN QUERY SELECT ch.job, ch.position, ch.number, acc.name::TEXT, ch.dirty,
            ch.attempts + 1, coalesce(array_agg(i.key ORDER BY i.seq), '{}'::TEXT[])
            FROM ids i WHERE i.job = ch.job AND i.position = ch.position
              AND i.chunk = ch.number AND (i.state = 0 OR (i.state = 4 AND i.retry));
        RETURN;
    END LOOP;
    IF busy THEN
        RETURN QUERY SELECT NULL::TEXT, NULL::INTEGER, NULL::INTEGER, NULL::TEXT, NULL::BOOLEAN,
            NULL::INTEGER, NULL::TEXT[];
    END IF;
END
$$;

-- Record a leased chunk in one transaction: its ids' outcomes, its release (done, or pending
-- again after p_wait seconds), a pause of its account (p_pause seconds, after a 429) and the
-- job's end once its last chunk is done. False (nothing written) if the lease is no longer
-- p_owner's. Not waiting for the commit to reach the disk: a record lost in a crash leaves the
-- chunk leased and dirty, so it is read back and recorded again.
CREATE FUNCTION record_chunk(p_owner TEXT, p_job TEXT, p_position INTEGER, p_number INTEGER,
    p_state TEXT, p_wait DOUBLE PRECISION, p_pause DOUBLE PRECISION, p_keys TEXT[],
    p_states SMALLINT[], p_errors TEXT[], p_retry BOOLEAN[], p_unsure BOOLEAN[], p_waits REAL[])
RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
    acc TEXT;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    UPDATE chunks c SET state = p_state, lease_owner = NULL, lease_until = NULL, dirty = false,
            not_before = clock_timestamp() + p_wait * interval '1 second'
        WHERE c.job = p_job AND c.position = p_position AND c.number = p_number
          AND c.lease_owner = p_owner AND c.state = 'leased'
        RETURNING c.account INTO acc;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE ids SET state = u.state, error = u.error::JSONB, retry = u.retry, unsure = u.unsure,
            wait = u.wait
        FROM unnest(p_keys, p_states, p_errors, p_retry, p_unsure, p_waits)
            AS u(key, state, error, retry, unsure, wait)
        WHERE ids.job = p_job AND ids.position = p_position AND ids.key = u.key;
    IF p_pause > 0 THEN
        UPDATE accounts SET paused_until = greatest(coalesce(paused_until, '-infinity'),
                clock_timestamp() + p_pause * interval '1 second')
            WHERE name = acc;
    END IF;
    IF p_state = 'done' THEN
        UPDATE jobs SET state = 'done', finished = clock_timestamp()
            WHERE id = p_job AND state = 'running'
              AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.job = p_job AND c.state <> 'done');
    END IF;
    RETURN true;
END
$$;
"""

#: (version, SQL) in order; a database at a later version than this code knows is refused.
MIGRATIONS: tuple[tuple[int, str], ...] = ((1, _V1),)
LATEST = MIGRATIONS[-1][0]


def is_postgres_url(journal: object) -> bool:
    """Whether ``journal`` names a PostgreSQL journal rather than a SQLite file."""
    return isinstance(journal, str) and journal.startswith(("postgresql://", "postgres://"))


def redact_url(url: str) -> str:
    """``url`` without its password (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    netloc = f"{user}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _split(url: str) -> tuple[str, str]:
    """The DSN for asyncpg and the schema name (``?schema=``)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = DEFAULT_SCHEMA
    kept = []
    for name, value in query:
        if name == "schema":
            schema = value
        else:
            kept.append((name, value))
    if not _SCHEMA_NAME.fullmatch(schema):
        raise JournalError(
            f"schema must be lower-case letters, digits and _ (at most 63), not {schema!r}"
        )
    dsn = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))
    return dsn, schema


def _asyncpg() -> Any:
    try:
        return importlib.import_module("asyncpg")
    except ImportError:
        raise JournalError(
            "a PostgreSQL journal needs asyncpg: pip install 'contactgroups[postgres]'"
        ) from None


async def _keep(connection: Any) -> None:
    """A connection goes back to the pool as it is (the default reset costs a round trip)."""


class PgJournal:
    """One PostgreSQL journal: a pool of connections whose ``search_path`` is the journal's
    schema. ``await PgJournal.open(url)`` connects and migrates; ``await close()``."""

    def __init__(self, url: str, schema: str, pool: Any) -> None:
        self.url = redact_url(url)
        self.schema = schema
        self.pool = pool

    def __repr__(self) -> str:
        return f"PgJournal({self.url!r}, schema={self.schema!r})"

    @classmethod
    async def open(cls, url: str, *, size: int = 4) -> PgJournal:
        """Connect (``size`` connections at most, each with ``application_name`` "contactgroups
        SCHEMA") and bring the schema to ``LATEST``; a server that does not answer, or a schema
        newer than this code, raises ``JournalError``."""
        asyncpg = _asyncpg()
        dsn, schema = _split(url)
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=max(1, size),
                server_settings={
                    "search_path": schema,
                    "application_name": f"contactgroups {schema}"[:63],
                },
                command_timeout=WAIT,
                timeout=WAIT,
                reset=_keep,  # nothing to reset: no session state is ever left behind
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise JournalError(
                f"cannot reach the PostgreSQL journal at {redact_url(url)}: "
                f"{type(error).__name__}: {error}"
            ) from None
        journal = cls(url, schema, pool)
        try:
            await journal.migrate()
        except BaseException:
            await pool.close()
            raise
        return journal

    async def migrate(self) -> int:
        """Apply the migrations this database has not had; its version afterwards."""
        quoted = f'"{self.schema}"'
        async with self.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.schema)
            await db.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
            await db.execute(
                f"CREATE TABLE IF NOT EXISTS {quoted}.contactgroups_schema_version ("
                "version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            current = await db.fetchval(
                f"SELECT coalesce(max(version), 0) FROM {quoted}.contactgroups_schema_version"
            )
            if current > LATEST:
                raise JournalError(
                    f"the journal's schema {self.schema} is at version {current}; this "
                    f"contactgroups knows up to {LATEST}: upgrade contactgroups"
                )
            for version, sql in MIGRATIONS:
                if version > current:
                    await db.execute(f"SET LOCAL search_path TO {quoted}")
                    await db.execute(sql)
                    await db.execute(
                        f"INSERT INTO {quoted}.contactgroups_schema_version (version) VALUES ($1)",
                        version,
                    )
                    current = version
        return int(current)

    def acquire(self) -> Any:
        """A connection of the pool, waited for at most ``WAIT`` seconds (a pool that never
        frees one raises ``TimeoutError``, an ``OSError``, like a server that is gone)."""
        return self.pool.acquire(timeout=WAIT)

    async def close(self) -> None:
        """Close the pool: gracefully within ``WAIT`` seconds, else its connections are cut
        (a close runs shielded from cancellation; it must not wait for ever)."""
        with anyio.move_on_after(WAIT):
            await self.pool.close()
            return
        self.pool.terminate()
