-- The credit functions of 0010 again, answering with the hold and ledger rows as row values
-- instead of JSON, and with OUT parameters instead of RETURN QUERY. Rendering each row as JSON
-- (every timestamp formatted as text), sending it as text and parsing it back in the daemon was
-- work on every hold and capture, and RETURN QUERY ran one more query per call. The caller now
-- selects the fields it needs, e.g. `SELECT outcome, (hold).id, ... FROM credit_hold(...)`, and
-- they travel in the binary protocol. The steps, their order and the outcomes are those of 0010.
DROP FUNCTION credit_hold(bigint, text, bigint, text, text, bigint, double precision);
DROP FUNCTION credit_settle(bigint, bigint, bigint, boolean);

-- Reserves p_amount credits for an operation, once per idempotency key.
-- outcome: 'held' (new hold), 'replayed' (the key's earlier hold, same request), 'key_reused'
-- (the key's earlier hold, different request), 'insufficient' (nothing held; available says
-- what is free), 'no_account'. hold is the hold row where there is one.
CREATE FUNCTION credit_hold(
    p_account bigint, p_operation text, p_amount bigint, p_key text,
    p_related_type text, p_related_id bigint, p_ttl_seconds double precision,
    OUT outcome text, OUT available bigint, OUT hold credit_holds
)
LANGUAGE plpgsql AS $$
DECLARE
    v_credits bigint;
    v_held bigint;
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

    UPDATE accounts SET credits_held = credits_held + p_amount
    WHERE id = p_account AND credits - credits_held >= p_amount
    RETURNING credits, credits_held INTO v_credits, v_held;
    IF NOT FOUND THEN
        -- Nothing may stay reserved: the new hold row goes again (a caller replaying the key
        -- concurrently then places its own attempt).
        DELETE FROM credit_holds WHERE account_id = p_account AND id = hold.id;
        hold := NULL;
        SELECT credits - credits_held INTO available FROM accounts WHERE id = p_account;
        outcome := CASE WHEN FOUND THEN 'insufficient' ELSE 'no_account' END;
        RETURN;
    END IF;

    INSERT INTO credit_transactions (account_id, kind, amount, held_change, balance_after,
                                     held_after, hold_id, operation_type, idempotency_key)
    VALUES (p_account, 'hold', 0, p_amount, v_credits, v_held, hold.id, p_operation,
            'hold:' || hold.id);
    outcome := 'held';
END;
$$;

-- Settles a pending hold: p_charge set captures that many credits (more than the hold only
-- when the free balance covers the rest), p_charge null releases it (p_expired marks the
-- sweeper's releases). outcome: 'settled' (hold and entry are the rows as written),
-- 'not_pending' (the hold already left pending; nothing moved), 'not_found'. A charge the
-- balance cannot cover raises SQLSTATE IG402 and moves nothing.
CREATE FUNCTION credit_settle(
    p_account bigint, p_hold bigint, p_charge bigint, p_expired boolean,
    OUT outcome text, OUT hold credit_holds, OUT entry credit_transactions
)
LANGUAGE plpgsql AS $$
DECLARE
    v_credits bigint;
    v_held bigint;
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

    UPDATE accounts SET credits = credits - coalesce(p_charge, 0),
                        credits_held = credits_held - hold.amount
    WHERE id = p_account
      AND credits - (credits_held - hold.amount) >= coalesce(p_charge, 0)
    RETURNING credits, credits_held INTO v_credits, v_held;
    IF NOT FOUND THEN
        -- Undoes the hold's update with the rest of this statement.
        RAISE EXCEPTION 'the balance does not cover a charge of %', p_charge
            USING ERRCODE = 'IG402';
    END IF;

    INSERT INTO credit_transactions (account_id, kind, amount, held_change, balance_after,
                                     held_after, hold_id, operation_type, idempotency_key,
                                     description)
    VALUES (p_account,
            CASE WHEN p_charge IS NOT NULL THEN 'capture' ELSE 'release' END,
            -coalesce(p_charge, 0), -hold.amount, v_credits, v_held, p_hold,
            hold.operation_type,
            CASE WHEN p_charge IS NOT NULL THEN 'capture:' ELSE 'release:' END || p_hold,
            CASE WHEN p_expired THEN 'expired' END)
    RETURNING * INTO entry;

    IF p_charge IS NOT NULL THEN
        INSERT INTO credit_usage_logs (account_id, operation_type, credits_used,
                                       related_object_type, related_object_id,
                                       credit_transaction_id)
        VALUES (p_account, hold.operation_type, p_charge, hold.related_object_type,
                hold.related_object_id, entry.id);
    END IF;
    outcome := 'settled';
END;
$$;
