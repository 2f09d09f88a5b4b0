-- Holds, captures and releases from concurrent callers in one transaction.
--
-- Each hold or settlement is a short transaction whose fixed costs (a round trip, the commit and
-- its WAL flush, a function call set up from the protocol) are as large as its row writes. When
-- many callers arrive together, the daemon hands their movements to credit_batch, which runs each
-- one through credit_hold or credit_settle, the very functions a lone caller uses, inside one
-- transaction. Outcomes are the same as if each had run alone in that order.
--
-- Order. Movements run by account, then in the order given. Account rows are therefore locked in
-- ascending id, so two batches touching the same accounts queue on the first one they share
-- instead of deadlocking; a lone movement locks one account and cannot close a cycle either.
--
-- Failure. A movement that raises (a capture the balance cannot cover raises IG402) undoes the
-- whole batch. The caller then runs each movement on its own, so one failure costs only its
-- own movement.
--
-- Arguments are parallel arrays, one element per movement:
--   p_kinds         'hold' or 'settle'
--   p_accounts      the account
--   hold:   p_operations, p_amounts, p_keys, p_related_types, p_related_ids, p_ttl_seconds
--   settle: p_holds, p_charges (NULL releases), p_expired
-- Elements a kind does not use are NULL. One row comes back per movement, item being its
-- position (from 1) in the arrays; available is a hold's, entry a settlement's.
CREATE FUNCTION credit_batch(
    p_kinds text[], p_accounts bigint[],
    p_operations text[], p_amounts bigint[], p_keys text[],
    p_related_types text[], p_related_ids bigint[], p_ttl_seconds double precision[],
    p_holds bigint[], p_charges bigint[], p_expired boolean[]
)
RETURNS TABLE (item bigint, outcome text, available bigint, hold credit_holds,
               entry credit_transactions)
LANGUAGE plpgsql AS $$
DECLARE
    movement record;
    result record;
BEGIN
    FOR movement IN
        SELECT *
        FROM unnest(p_kinds, p_accounts, p_operations, p_amounts, p_keys, p_related_types,
                    p_related_ids, p_ttl_seconds, p_holds, p_charges, p_expired)
             WITH ORDINALITY
             AS m(kind, account, operation, amount, key, related_type, related_id, ttl_seconds,
                  hold_id, charge, expired, position)
        ORDER BY m.account, m.position
    LOOP
        item := movement.position;
        IF movement.kind = 'hold' THEN
            result := credit_hold(movement.account, movement.operation, movement.amount,
                                  movement.key, movement.related_type, movement.related_id,
                                  movement.ttl_seconds);
            outcome := result.outcome;
            available := result.available;
            hold := result.hold;
            entry := NULL;
        ELSIF movement.kind = 'settle' THEN
            result := credit_settle(movement.account, movement.hold_id, movement.charge,
                                    movement.expired);
            outcome := result.outcome;
            available := NULL;
            hold := result.hold;
            entry := result.entry;
        ELSE
            RAISE EXCEPTION 'credit movement % has kind %, expected hold or settle',
                movement.position, movement.kind
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;
