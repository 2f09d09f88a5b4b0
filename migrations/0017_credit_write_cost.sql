-- The credits ledger's writes, for less work per statement: the same rules, the same constraint
-- names in errors, the same outcomes, the same data. A hold and its capture run as two
-- transactions that write some seven rows, so what each row write and each statement costs
-- beyond the row itself decides how many pairs the server completes per second.
--
-- Checks. PostgreSQL reads every CHECK expression back from its stored text and plans it at the
-- start of every INSERT or UPDATE statement on the table, not once per session. A pair writes
-- accounts twice, credit_holds twice, credit_transactions twice and credit_usage_logs once, so it
-- loaded some fifty CHECK expressions (the text constants such as the kind names are the
-- costliest part), which took more time than evaluating them. Each of these tables now has one
-- CHECK calling an IMMUTABLE function of the row's columns: one small expression to load, whose
-- body is planned once per session. The function tests the former constraints in their name
-- order (the order PostgreSQL evaluated them in) and raises check_violation naming the former
-- constraint, so a violation is reported as before. A test that yields NULL passes, as it did
-- in a CHECK.
--
-- Statements. credit_hold and credit_settle write the account update and the ledger rows it
-- explains with one statement (a data-modifying WITH) instead of two or three, at the end of
-- this file.

-- Raises the violation of one named check. VOLATILE so that the planner never evaluates it
-- while folding the constant arguments of a branch that is not taken.
CREATE FUNCTION credit_check_failed(p_constraint text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'new row violates check constraint "%"', p_constraint
        USING ERRCODE = 'check_violation', CONSTRAINT = p_constraint;
END;
$$;

CREATE FUNCTION accounts_row_valid(
    p_name text, p_status text, p_timezone text, p_credits bigint, p_credits_held bigint
) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE
        WHEN NOT (p_credits_held >= 0)
            THEN credit_check_failed('accounts_credits_held_nonnegative')
        WHEN NOT (p_credits < 0 OR p_credits_held <= p_credits)
            THEN credit_check_failed('accounts_credits_held_within_balance')
        WHEN NOT (p_credits >= 0)
            THEN credit_check_failed('accounts_credits_nonnegative')
        WHEN NOT (btrim(p_name) <> '')
            THEN credit_check_failed('accounts_name_not_blank')
        WHEN NOT (p_status IN ('active', 'suspended', 'closed'))
            THEN credit_check_failed('accounts_status_check')
        WHEN NOT (btrim(p_timezone) <> '')
            THEN credit_check_failed('accounts_timezone_not_blank')
        ELSE true
    END;
END;
$$;

CREATE FUNCTION credit_holds_row_valid(
    p_operation_type text, p_amount bigint, p_state text, p_idempotency_key text,
    p_captured_amount bigint, p_related_object_type text, p_related_object_id bigint,
    p_metadata jsonb, p_resolved_at timestamptz
) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE
        WHEN NOT (p_amount > 0)
            THEN credit_check_failed('credit_holds_amount_positive')
        WHEN NOT ((p_state = 'captured') = (p_captured_amount IS NOT NULL))
            THEN credit_check_failed('credit_holds_captured_amount_iff_captured')
        WHEN NOT (p_captured_amount >= 0)
            THEN credit_check_failed('credit_holds_captured_amount_nonnegative')
        WHEN NOT (btrim(p_idempotency_key) <> '')
            THEN credit_check_failed('credit_holds_idempotency_key_not_blank')
        WHEN NOT (jsonb_typeof(p_metadata) = 'object')
            THEN credit_check_failed('credit_holds_metadata_object')
        WHEN NOT (btrim(p_operation_type) <> '')
            THEN credit_check_failed('credit_holds_operation_type_not_blank')
        WHEN NOT (p_related_object_id IS NULL OR p_related_object_type IS NOT NULL)
            THEN credit_check_failed('credit_holds_related_object_typed')
        WHEN NOT ((p_state = 'pending') = (p_resolved_at IS NULL))
            THEN credit_check_failed('credit_holds_resolved_at_iff_resolved')
        WHEN NOT (p_state IN ('pending', 'captured', 'released', 'expired'))
            THEN credit_check_failed('credit_holds_state_check')
        ELSE true
    END;
END;
$$;

-- The first test is the sign table of 0004: each kind moves the balance and the held total in
-- one direction only.
CREATE FUNCTION credit_transactions_row_valid(
    p_kind text, p_amount bigint, p_held_change bigint, p_balance_after bigint,
    p_held_after bigint, p_hold_id bigint, p_idempotency_key text, p_metadata jsonb
) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE
        WHEN NOT (CASE p_kind
                WHEN 'grant'      THEN p_amount > 0  AND p_held_change = 0
                WHEN 'add'        THEN p_amount > 0  AND p_held_change = 0
                WHEN 'refund'     THEN p_amount > 0  AND p_held_change = 0
                WHEN 'adjustment' THEN p_amount <> 0 AND p_held_change = 0
                WHEN 'hold'       THEN p_amount = 0  AND p_held_change > 0
                WHEN 'capture'    THEN p_amount <= 0 AND p_held_change < 0
                WHEN 'release'    THEN p_amount = 0  AND p_held_change < 0
            END)
            THEN credit_check_failed('credit_transactions_amount_sign')
        WHEN NOT (p_balance_after >= 0)
            THEN credit_check_failed('credit_transactions_balance_after_nonnegative')
        WHEN NOT (p_held_after >= 0 AND p_held_after <= p_balance_after)
            THEN credit_check_failed('credit_transactions_held_after_within_balance')
        WHEN NOT ((p_kind IN ('hold', 'capture', 'release')) = (p_hold_id IS NOT NULL))
            THEN credit_check_failed('credit_transactions_hold_id_matches_kind')
        WHEN NOT (btrim(p_idempotency_key) <> '')
            THEN credit_check_failed('credit_transactions_idempotency_key_not_blank')
        WHEN NOT (p_kind IN ('grant', 'add', 'hold', 'capture', 'release', 'refund', 'adjustment'))
            THEN credit_check_failed('credit_transactions_kind_check')
        WHEN NOT (jsonb_typeof(p_metadata) = 'object')
            THEN credit_check_failed('credit_transactions_metadata_object')
        ELSE true
    END;
END;
$$;

CREATE FUNCTION credit_usage_logs_row_valid(
    p_operation_type text, p_credits_used bigint, p_related_object_type text,
    p_related_object_id bigint, p_metadata jsonb
) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE
        WHEN NOT (p_credits_used >= 0)
            THEN credit_check_failed('credit_usage_logs_credits_used_nonnegative')
        WHEN NOT (jsonb_typeof(p_metadata) = 'object')
            THEN credit_check_failed('credit_usage_logs_metadata_object')
        WHEN NOT (btrim(p_operation_type) <> '')
            THEN credit_check_failed('credit_usage_logs_operation_type_not_blank')
        WHEN NOT (p_related_object_id IS NULL OR p_related_object_type IS NOT NULL)
            THEN credit_check_failed('credit_usage_logs_related_object_typed')
        ELSE true
    END;
END;
$$;

-- Adding each new CHECK validates the existing rows.
ALTER TABLE accounts
    ADD CONSTRAINT accounts_row_check
        CHECK (accounts_row_valid(name, status, timezone, credits, credits_held)),
    DROP CONSTRAINT accounts_credits_held_nonnegative,
    DROP CONSTRAINT accounts_credits_held_within_balance,
    DROP CONSTRAINT accounts_credits_nonnegative,
    DROP CONSTRAINT accounts_name_not_blank,
    DROP CONSTRAINT accounts_status_check,
    DROP CONSTRAINT accounts_timezone_not_blank;

ALTER TABLE credit_holds
    ADD CONSTRAINT credit_holds_row_check
        CHECK (credit_holds_row_valid(operation_type, amount, state, idempotency_key,
                                      captured_amount, related_object_type, related_object_id,
                                      metadata, resolved_at)),
    DROP CONSTRAINT credit_holds_amount_positive,
    DROP CONSTRAINT credit_holds_captured_amount_iff_captured,
    DROP CONSTRAINT credit_holds_captured_amount_nonnegative,
    DROP CONSTRAINT credit_holds_idempotency_key_not_blank,
    DROP CONSTRAINT credit_holds_metadata_object,
    DROP CONSTRAINT credit_holds_operation_type_not_blank,
    DROP CONSTRAINT credit_holds_related_object_typed,
    DROP CONSTRAINT credit_holds_resolved_at_iff_resolved,
    DROP CONSTRAINT credit_holds_state_check;

ALTER TABLE credit_transactions
    ADD CONSTRAINT credit_transactions_row_check
        CHECK (credit_transactions_row_valid(kind, amount, held_change, balance_after,
                                             held_after, hold_id, idempotency_key, metadata)),
    DROP CONSTRAINT credit_transactions_amount_sign,
    DROP CONSTRAINT credit_transactions_balance_after_nonnegative,
    DROP CONSTRAINT credit_transactions_held_after_within_balance,
    DROP CONSTRAINT credit_transactions_hold_id_matches_kind,
    DROP CONSTRAINT credit_transactions_idempotency_key_not_blank,
    DROP CONSTRAINT credit_transactions_kind_check,
    DROP CONSTRAINT credit_transactions_metadata_object;

ALTER TABLE credit_usage_logs
    ADD CONSTRAINT credit_usage_logs_row_check
        CHECK (credit_usage_logs_row_valid(operation_type, credits_used, related_object_type,
                                           related_object_id, metadata)),
    DROP CONSTRAINT credit_usage_logs_credits_used_nonnegative,
    DROP CONSTRAINT credit_usage_logs_metadata_object,
    DROP CONSTRAINT credit_usage_logs_operation_type_not_blank,
    DROP CONSTRAINT credit_usage_logs_related_object_typed;

-- credit_hold and credit_settle of 0016 with the same steps, outcomes and lock order, but the
-- account update and the ledger rows it explains written by one statement instead of two or
-- three: each statement a function runs is a plan to look up and an executor to start and stop.
CREATE OR REPLACE FUNCTION credit_hold(
    p_account bigint, p_operation text, p_amount bigint, p_key text,
    p_related_type text, p_related_id bigint, p_ttl_seconds double precision,
    OUT outcome text, OUT available bigint, OUT hold credit_holds
)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO credit_holds (account_id, operation_type, amount, idempotency_key,
                              related_object_type, related_object_id, expires_at)
    VALUES (p_account, p_operation, p_amount, p_key, p_related_type, p_related_id,
            now() + make_interval(secs => p_ttl_seconds))
    ON CONFLICT (account_id, idempotency_key) DO NOTHING
    RETURNING * INTO hold;
    IF NOT FOUND THEN
        SELECT * INTO hold FROM credit_holds
        WHERE account_id = p_account AND idempotency_key = p_key;
        outcome := CASE WHEN hold.amount = p_amount AND hold.operation_type = p_operation
                        THEN 'replayed' ELSE 'key_reused' END;
        RETURN;
    END IF;

    WITH account AS (
        UPDATE accounts SET credits_held = credits_held + p_amount
        WHERE id = p_account AND credits - credits_held >= p_amount
        RETURNING credits, credits_held
    )
    INSERT INTO credit_transactions (account_id, kind, amount, held_change, balance_after,
                                     held_after, hold_id, operation_type, idempotency_key)
    SELECT p_account, 'hold', 0, p_amount, account.credits, account.credits_held, hold.id,
           p_operation, 'hold:' || hold.id
    FROM account;
    IF NOT FOUND THEN
        -- Nothing may stay reserved: the new hold row goes again (a caller replaying the key
        -- concurrently then places its own attempt).
        DELETE FROM credit_holds WHERE account_id = p_account AND id = hold.id;
        hold := NULL;
        SELECT credits - credits_held INTO available FROM accounts WHERE id = p_account;
        outcome := CASE WHEN FOUND THEN 'insufficient' ELSE 'no_account' END;
        RETURN;
    END IF;
    outcome := 'held';
END;
$$;

CREATE OR REPLACE FUNCTION credit_settle(
    p_account bigint, p_hold bigint, p_charge bigint, p_expired boolean,
    OUT outcome text, OUT hold credit_holds, OUT entry credit_transactions
)
LANGUAGE plpgsql AS $$
BEGIN
    -- The hold row first: a second settlement of the same hold waits here, then finds it
    -- settled.
    UPDATE credit_holds SET
        state = CASE WHEN p_charge IS NOT NULL THEN 'captured'
                     WHEN p_expired THEN 'expired' ELSE 'released' END,
        captured_amount = p_charge,
        resolved_at = now()
    WHERE account_id = p_account AND id = p_hold AND state = 'pending'
    RETURNING * INTO hold;
    IF NOT FOUND THEN
        SELECT * INTO hold FROM credit_holds WHERE account_id = p_account AND id = p_hold;
        outcome := CASE WHEN FOUND THEN 'not_pending' ELSE 'not_found' END;
        RETURN;
    END IF;

    -- A data-modifying WITH runs to completion even where nothing reads it, so the usage row
    -- is written for a capture whatever the final SELECT does.
    WITH account AS (
        UPDATE accounts SET credits = credits - coalesce(p_charge, 0),
                            credits_held = credits_held - hold.amount
        WHERE id = p_account
          AND credits - (credits_held - hold.amount) >= coalesce(p_charge, 0)
        RETURNING credits, credits_held
    ), ledger AS (
        INSERT INTO credit_transactions (account_id, kind, amount, held_change, balance_after,
                                         held_after, hold_id, operation_type, idempotency_key,
                                         description)
        SELECT p_account,
               CASE WHEN p_charge IS NOT NULL THEN 'capture' ELSE 'release' END,
               -coalesce(p_charge, 0), -hold.amount, account.credits, account.credits_held,
               p_hold, hold.operation_type,
               CASE WHEN p_charge IS NOT NULL THEN 'capture:' ELSE 'release:' END || p_hold,
               CASE WHEN p_expired THEN 'expired' END
        FROM account
        RETURNING *
    ), usage AS (
        INSERT INTO credit_usage_logs (account_id, operation_type, credits_used,
                                       related_object_type, related_object_id,
                                       credit_transaction_id)
        SELECT p_account, hold.operation_type, p_charge, hold.related_object_type,
               hold.related_object_id, ledger.id
        FROM ledger
        WHERE p_charge IS NOT NULL
    )
    SELECT * INTO entry FROM ledger;
    IF NOT FOUND THEN
        -- Undoes the hold's update with the rest of this statement.
        RAISE EXCEPTION 'the balance does not cover a charge of %', p_charge
            USING ERRCODE = 'IG402';
    END IF;
    outcome := 'settled';
END;
$$;
