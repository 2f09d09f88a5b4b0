-- Credit movements as functions, so each hold, capture and release is one round trip and one
-- statement (its own transaction) instead of five or six. The rules are those of the store
-- module that calls them: the hold row (or its lock) comes first, then one conditional update of
-- the account row, then the ledger row, so concurrent callers queue on the account row and can
-- never take more than is free.

-- Reserves p_amount credits for an operation, once per idempotency key.
-- outcome: 'held' (new hold), 'replayed' (the key's earlier hold, same request), 'key_reused'
-- (the key's earlier hold, different request), 'insufficient' (nothing held; available says
-- what is free), 'no_account'. hold is the hold row as JSON where there is one.
CREATE FUNCTION credit_hold(
    p_account bigint, p_operation text, p_amount bigint, p_key text,
    p_related_type text, p_related_id bigint, p_ttl_seconds double precision
) RETURNS TABLE (outcome text, available bigint, hold jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_hold credit_holds%ROWTYPE;
    v_credits bigint;
    v_held bigint;
BEGIN
    INSERT INTO credit_holds (account_id, operation_type, amount, idempotency_key,
                              related_object_type, related_object_id, expires_at)
    VALUES (p_account, p_operation, p_amount, p_key, p_related_type, p_related_id,
            now() + make_interval(secs => p_ttl_seconds))
    ON CONFLICT (account_id, idempotency_key) DO NOTHING
    RETURNING * INTO v_hold;
    IF NOT FOUND THEN
        SELECT * INTO v_hold FROM credit_holds
        WHERE account_id = p_account AND idempotency_key = p_key;
        RETURN QUERY SELECT
            CASE WHEN v_hold.amount = p_amount AND v_hold.operation_type = p_operation
                 THEN 'replayed' ELSE 'key_reused' END,
            NULL::bigint, to_jsonb(v_hold);
        RETURN;
    END IF;

    UPDATE accounts SET credits_held = credits_held + p_amount
    WHERE id = p_account AND credits - credits_held >= p_amount
    RETURNING credits, credits_held INTO v_credits, v_held;
    IF NOT FOUND THEN
        -- Nothing may stay reserved: the new hold row goes again (a caller replaying the key
        -- concurrently then places its own attempt).
        DELETE FROM credit_holds WHERE account_id = p_account AND id = v_hold.id;
        SELECT credits - credits_held INTO v_credits FROM accounts WHERE id = p_account;
        RETURN QUERY SELECT CASE WHEN FOUND THEN 'insufficient' ELSE 'no_account' END,
                            v_credits, NULL::jsonb;
        RETURN;
    END IF;

    INSERT INTO credit_transactions (account_id, kind, amount, held_change, balance_after,
                                     held_after, hold_id, operation_type, idempotency_key)
    VALUES (p_account, 'hold', 0, p_amount, v_credits, v_held, v_hold.id, p_operation,
            'hold:' || v_hold.id);
    RETURN QUERY SELECT 'held', NULL::bigint, to_jsonb(v_hold);
END;
$$;

-- Settles a pending hold: p_charge set captures that many credits (more than the hold only
-- when the free balance covers the rest), p_charge null releases it (p_expired marks the
-- sweeper's releases). outcome: 'settled' (hold and entry are the rows as written),
-- 'not_pending' (the hold already left pending; nothing moved), 'not_found'. A charge the
-- balance cannot cover raises SQLSTATE IG402 and moves nothing.
CREATE FUNCTION credit_settle(
    p_account bigint, p_hold bigint, p_charge bigint, p_expired boolean
) RETURNS TABLE (outcome text, hold jsonb, entry jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_hold credit_holds%ROWTYPE;
    v_credits bigint;
    v_held bigint;
    v_entry credit_transactions%ROWTYPE;
BEGIN
    -- The hold row first: a second settlement of the same hold waits here, then finds it
    -- settled.
    UPDATE credit_holds SET
        state = CASE WHEN p_charge IS NOT NULL THEN 'captured'
                     WHEN p_expired THEN 'expired' ELSE 'released' END,
        captured_amount = p_charge,
        resolved_at = now()
    WHERE account_id = p_account AND id = p_hold AND state = 'pending'
    RETURNING * INTO v_hold;
    IF NOT FOUND THEN
        SELECT * INTO v_hold FROM credit_holds WHERE account_id = p_account AND id = p_hold;
        RETURN QUERY SELECT CASE WHEN FOUND THEN 'not_pending' ELSE 'not_found' END,
                            CASE WHEN FOUND THEN to_jsonb(v_hold) END, NULL::jsonb;
        RETURN;
    END IF;

    UPDATE accounts SET credits = credits - coalesce(p_charge, 0),
                        credits_held = credits_held - v_hold.amount
    WHERE id = p_account
      AND credits - (credits_held - v_hold.amount) >= coalesce(p_charge, 0)
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
            -coalesce(p_charge, 0), -v_hold.amount, v_credits, v_held, p_hold,
            v_hold.operation_type,
            CASE WHEN p_charge IS NOT NULL THEN 'capture:' ELSE 'release:' END || p_hold,
            CASE WHEN p_expired THEN 'expired' END)
    RETURNING * INTO v_entry;

    IF p_charge IS NOT NULL THEN
        INSERT INTO credit_usage_logs (account_id, operation_type, credits_used,
                                       related_object_type, related_object_id,
                                       credit_transaction_id)
        VALUES (p_account, v_hold.operation_type, p_charge, v_hold.related_object_type,
                v_hold.related_object_id, v_entry.id);
    END IF;
    RETURN QUERY SELECT 'settled', to_jsonb(v_hold), to_jsonb(v_entry);
END;
$$;
