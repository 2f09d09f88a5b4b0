-- Credits: reservations (holds), the append-only ledger, and per-operation usage logs.
--
-- Money model. accounts.credits is the balance and accounts.credits_held the sum of pending holds.
-- Every change to either is one credit_transactions row in the same transaction, so at any moment:
--     accounts.credits      = sum(credit_transactions.amount)
--     accounts.credits_held = sum(credit_transactions.held_change)
--                           = sum(credit_holds.amount) over holds in state 'pending'
-- A reconciliation job can assert these.

-- A reservation of credits for one operation, before its real cost is known (DESIGN §6: hold the
-- estimate, capture the real cost on success, release on failure). The row is the hold's state
-- machine: it leaves 'pending' exactly once, guarded by `WHERE state = 'pending'` in the UPDATE and
-- by the trigger below, so a double capture or double release cannot move credits twice.
-- Holds are never deleted; the ledger references them.
CREATE TABLE credit_holds (
    account_id          bigint      NOT NULL,
    id                  bigint      GENERATED ALWAYS AS IDENTITY,
    -- Cost-table operation, e.g. linking, optimization, content_generation.
    operation_type      text        NOT NULL,
    -- Credits reserved; added to accounts.credits_held while pending.
    amount              bigint      NOT NULL,
    state               text        NOT NULL DEFAULT 'pending',
    -- Derived from the operation's id (or the request's Idempotency-Key), so a retried operation
    -- finds its existing hold instead of reserving twice.
    idempotency_key     text        NOT NULL,
    -- The real cost charged on capture. It may exceed amount when the balance covers the rest.
    captured_amount     bigint,
    -- The object the operation works on, for audit and for the API's usage views.
    related_object_type text,
    related_object_id   bigint,
    metadata            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- A crashed operation never captures or releases; the sweeper releases holds past this time
    -- (state 'expired') so reserved credits are not stranded.
    expires_at          timestamptz NOT NULL,
    -- When the hold left 'pending'.
    resolved_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_holds_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT credit_holds_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT credit_holds_idempotency_key UNIQUE (account_id, idempotency_key),
    CONSTRAINT credit_holds_state_check CHECK (state IN ('pending', 'captured', 'released', 'expired')),
    CONSTRAINT credit_holds_amount_positive CHECK (amount > 0),
    CONSTRAINT credit_holds_operation_type_not_blank CHECK (btrim(operation_type) <> ''),
    CONSTRAINT credit_holds_idempotency_key_not_blank CHECK (btrim(idempotency_key) <> ''),
    -- Only a captured hold has a charged amount.
    CONSTRAINT credit_holds_captured_amount_iff_captured CHECK (
        (state = 'captured') = (captured_amount IS NOT NULL)
    ),
    CONSTRAINT credit_holds_captured_amount_nonnegative CHECK (captured_amount >= 0),
    CONSTRAINT credit_holds_resolved_at_iff_resolved CHECK (
        (state = 'pending') = (resolved_at IS NULL)
    ),
    CONSTRAINT credit_holds_related_object_typed CHECK (
        related_object_id IS NULL OR related_object_type IS NOT NULL
    ),
    CONSTRAINT credit_holds_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

-- The expiry sweeper scans only pending holds, oldest expiry first.
CREATE INDEX credit_holds_pending_expiry_idx ON credit_holds (expires_at) WHERE state = 'pending';

CREATE TRIGGER credit_holds_set_updated_at BEFORE UPDATE ON credit_holds
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A hold resolves at most once and its reserved amount never changes: once a hold is captured,
-- released or expired, the row is frozen, whatever the UPDATE's WHERE clause said.
CREATE FUNCTION credit_holds_guard_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state <> 'pending' THEN
        RAISE EXCEPTION 'credit hold % is already %', OLD.id, OLD.state
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'credit_holds_resolved_once';
    END IF;
    IF NEW.amount <> OLD.amount
       OR NEW.idempotency_key <> OLD.idempotency_key
       OR NEW.operation_type <> OLD.operation_type THEN
        RAISE EXCEPTION 'credit hold % may only change its state, expiry and outcome', OLD.id
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'credit_holds_terms_immutable';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER credit_holds_guard_transition BEFORE UPDATE ON credit_holds
    FOR EACH ROW EXECUTE FUNCTION credit_holds_guard_transition();

-- The credit ledger: one immutable row per movement of accounts.credits or accounts.credits_held.
-- It is append-only (a trigger rejects UPDATE and DELETE; corrections are new 'adjustment' or
-- 'refund' rows), and the per-account idempotency key makes every movement happen at most once:
-- a retried request, a second daemon firing the same monthly grant (key grant:{account}:{YYYY-MM}),
-- or a replayed Idempotency-Key header all hit the unique key instead of charging twice.
--
-- Sign conventions:
--   kind        amount (credits)   held_change (credits_held)   hold_id
--   grant       > 0                0                            null     monthly replenishment
--   add         > 0                0                            null     purchase or operator top-up
--   refund      > 0                0                            null     a charge given back
--   adjustment  <> 0               0                            null     operator correction
--   hold        0                  > 0 (the reserved amount)    set
--   capture     <= 0 (the charge)  < 0 (the reserved amount)    set
--   release     0                  < 0 (the reserved amount)    set      also used for expiry
CREATE TABLE credit_transactions (
    account_id      bigint      NOT NULL,
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    kind            text        NOT NULL,
    -- Signed change to accounts.credits.
    amount          bigint      NOT NULL,
    -- Signed change to accounts.credits_held.
    held_change     bigint      NOT NULL DEFAULT 0,
    -- The account's balance and held total right after this movement, so a statement can be read
    -- without summing the ledger.
    balance_after   bigint      NOT NULL,
    held_after      bigint      NOT NULL,
    -- The hold a hold/capture/release row belongs to.
    hold_id         bigint,
    -- Cost-table operation or bookkeeping reason, e.g. linking, monthly_replenishment.
    operation_type  text,
    idempotency_key text        NOT NULL,
    description     text,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_transactions_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT credit_transactions_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT credit_transactions_hold_fkey FOREIGN KEY (account_id, hold_id)
        REFERENCES credit_holds (account_id, id),
    CONSTRAINT credit_transactions_idempotency_key UNIQUE (account_id, idempotency_key),
    CONSTRAINT credit_transactions_kind_check CHECK (
        kind IN ('grant', 'add', 'hold', 'capture', 'release', 'refund', 'adjustment')
    ),
    CONSTRAINT credit_transactions_idempotency_key_not_blank CHECK (btrim(idempotency_key) <> ''),
    -- Each kind moves the balance and the held total in one direction only (table above), so a
    -- mistaken sign fails here rather than corrupting the balance.
    CONSTRAINT credit_transactions_amount_sign CHECK (
        CASE kind
            WHEN 'grant'      THEN amount > 0  AND held_change = 0
            WHEN 'add'        THEN amount > 0  AND held_change = 0
            WHEN 'refund'     THEN amount > 0  AND held_change = 0
            WHEN 'adjustment' THEN amount <> 0 AND held_change = 0
            WHEN 'hold'       THEN amount = 0  AND held_change > 0
            WHEN 'capture'    THEN amount <= 0 AND held_change < 0
            WHEN 'release'    THEN amount = 0  AND held_change < 0
        END
    ),
    -- Hold movements always name their hold; balance movements never do.
    CONSTRAINT credit_transactions_hold_id_matches_kind CHECK (
        (kind IN ('hold', 'capture', 'release')) = (hold_id IS NOT NULL)
    ),
    -- Mirrors the accounts checks, so a row can never describe an impossible state.
    CONSTRAINT credit_transactions_balance_after_nonnegative CHECK (balance_after >= 0),
    CONSTRAINT credit_transactions_held_after_within_balance CHECK (
        held_after >= 0 AND held_after <= balance_after
    ),
    CONSTRAINT credit_transactions_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

-- Statements and the transactions endpoint list an account's movements newest first.
CREATE INDEX credit_transactions_account_created_idx
    ON credit_transactions (account_id, created_at DESC, id DESC);
CREATE INDEX credit_transactions_hold_id_idx ON credit_transactions (account_id, hold_id)
    WHERE hold_id IS NOT NULL;

CREATE TRIGGER credit_transactions_append_only BEFORE UPDATE OR DELETE ON credit_transactions
    FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();

-- What each charged operation cost and what it worked on: the readable usage history behind
-- GET /credits/usage (filter by operation type and time), separate from the ledger so the ledger
-- stays a pure money record.
CREATE TABLE credit_usage_logs (
    account_id            bigint      NOT NULL,
    id                    bigint      GENERATED ALWAYS AS IDENTITY,
    operation_type        text        NOT NULL,
    credits_used          bigint      NOT NULL,
    related_object_type   text,
    related_object_id     bigint,
    -- The ledger row that charged these credits (a capture or a direct charge), when there is one.
    credit_transaction_id bigint,
    metadata              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_usage_logs_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT credit_usage_logs_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT credit_usage_logs_transaction_fkey FOREIGN KEY (account_id, credit_transaction_id)
        REFERENCES credit_transactions (account_id, id),
    CONSTRAINT credit_usage_logs_operation_type_not_blank CHECK (btrim(operation_type) <> ''),
    CONSTRAINT credit_usage_logs_credits_used_nonnegative CHECK (credits_used >= 0),
    CONSTRAINT credit_usage_logs_related_object_typed CHECK (
        related_object_id IS NULL OR related_object_type IS NOT NULL
    ),
    CONSTRAINT credit_usage_logs_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

CREATE INDEX credit_usage_logs_account_created_idx ON credit_usage_logs (account_id, created_at DESC);
CREATE INDEX credit_usage_logs_operation_created_idx
    ON credit_usage_logs (account_id, operation_type, created_at DESC);
-- No index on credit_transaction_id: ledger rows are never deleted (a trigger refuses it), so the
-- foreign key is never checked from that side, and every capture would pay for the index.
