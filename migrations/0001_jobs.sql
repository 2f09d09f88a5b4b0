-- The job queue and the cron fire ledger: daemon infrastructure shared by every instance on this
-- database. Neither table is tenant data, so neither carries account_id; on Citus both stay on the
-- coordinator.

-- One row per unit of background work. Workers claim rows with FOR UPDATE SKIP LOCKED and hold a
-- lease; `attempts` is bumped on every claim and doubles as the fencing token, so a worker whose
-- lease was taken over can no longer heartbeat, complete or fail the job.
CREATE TABLE jobs (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    kind          text        NOT NULL,
    payload       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- One logical job is queued at most once while it is pending or running (see the index below).
    unique_key    text,
    state         text        NOT NULL DEFAULT 'pending',
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempts      integer     NOT NULL DEFAULT 0,
    -- Claims handed back unfinished at shutdown; they do not count against max_attempts, but
    -- attempts itself never goes down so the fence stays unique.
    releases      integer     NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL,
    lease_owner   uuid,
    lease_until   timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    CONSTRAINT jobs_pkey PRIMARY KEY (id),
    CONSTRAINT jobs_state_check CHECK (state IN ('pending', 'running', 'done', 'dead')),
    CONSTRAINT jobs_kind_not_empty CHECK (kind <> ''),
    CONSTRAINT jobs_attempts_nonnegative CHECK (attempts >= 0),
    CONSTRAINT jobs_releases_within_attempts CHECK (releases BETWEEN 0 AND attempts),
    CONSTRAINT jobs_max_attempts_positive CHECK (max_attempts >= 1),
    -- A running job always has a lease; nothing else does.
    CONSTRAINT jobs_lease_matches_state CHECK (
        (state = 'running') = (lease_owner IS NOT NULL AND lease_until IS NOT NULL)
    )
);

CREATE UNIQUE INDEX jobs_unique_key_live ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('pending', 'running');
-- The claim scans due pending jobs in run_at order, and expired leases.
CREATE INDEX jobs_pending_run_at ON jobs (run_at, id) WHERE state = 'pending';
CREATE INDEX jobs_running_lease ON jobs (lease_until) WHERE state = 'running';
-- Housekeeping deletes finished jobs by age.
CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE state IN ('done', 'dead');

-- One row per fire of a recurring schedule. Every daemon evaluates every schedule; the primary key
-- makes exactly one of them win the INSERT ... ON CONFLICT DO NOTHING and enqueue the job, in the
-- same transaction.
CREATE TABLE cron_fires (
    key        text        NOT NULL,
    fire_at    timestamptz NOT NULL,
    job_id     bigint,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cron_fires_pkey PRIMARY KEY (key, fire_at)
);

-- Wakes idle workers (LISTEN igny8_jobs) as soon as work is inserted; they also poll, so a lost
-- notification only delays a job by one poll interval.
CREATE FUNCTION jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('igny8_jobs', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_notify_on_insert
    AFTER INSERT ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();
