-- Shared trigger functions used by the tenant tables that follow.
--
-- Conventions for every later migration (DESIGN §11, scale-out):
-- * A tenant table carries `account_id bigint NOT NULL`, its primary key is (account_id, id), every
--   foreign key between tenant tables leads with account_id and every unique key includes it. The
--   tables can then be distributed by account_id and co-located, and no constraint ever needs a row
--   from another account's shard. `accounts` is keyed by id (the distribution key itself) and
--   `plans` is a reference table copied to every node.
-- * Enumerations are CHECK constraints rather than enum types: adding a value later is a constraint
--   swap inside a transaction, not an ALTER TYPE.
-- * Every constraint is named `<table>_<what>` so the store can map a violation to a clear API
--   error by name.
-- * No extension is required: the schema runs on a stock PostgreSQL 15.

-- Keeps updated_at honest without relying on every UPDATE statement to remember it. now() is the
-- transaction's start time, the same clock as the column defaults, so rows written together agree.
-- The function touches only the row being written, which keeps it safe on a distributed table.
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- Makes a table append-only: any UPDATE or DELETE raises. The error carries SQLSTATE 23001
-- (restrict_violation) and the constraint name `<table>_append_only`, so the store reports it like
-- any other named constraint instead of as an opaque server error.
CREATE OR REPLACE FUNCTION reject_append_only_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              CONSTRAINT = TG_TABLE_NAME || '_append_only',
              HINT = 'record a compensating row instead';
END;
$$;
