-- Automation engine (DESIGN §7): what the rule executions and the event worker need beyond 0008.

-- When an execution took its place in its rule's daily count (the conditional UPDATE of
-- automation_rules.execution_count_today, in the same transaction). A retried execution that
-- already counted does not count again.
ALTER TABLE scheduled_tasks ADD COLUMN counted_at timestamptz;

-- Wakes idle event workers (LISTEN igny8_events) as soon as an event commits; they also poll, so
-- a lost notification only delays an event by one poll interval.
CREATE FUNCTION domain_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('igny8_events', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER domain_events_notify_on_insert
    AFTER INSERT ON domain_events
    FOR EACH STATEMENT EXECUTE FUNCTION domain_events_notify();
