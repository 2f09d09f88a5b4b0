-- Automation (DESIGN §7): rules, the domain-event outbox that feeds event-triggered rules, and one
-- scheduled_tasks row per rule execution.

-- A rule: when (a cron schedule or a domain event), if (conditions), do (actions), within limits.
CREATE TABLE automation_rules (
    account_id                 bigint      NOT NULL,
    id                         bigint      GENERATED ALWAYS AS IDENTITY,
    name                       text        NOT NULL,
    description                text,
    -- Optional scope: only events about this site (and scheduled runs against it). Null: any site.
    site_id                    bigint,
    trigger_type               text        NOT NULL,
    -- Cron expression, only for trigger_type 'schedule'.
    schedule                   text,
    -- IANA zone the schedule is read in; null means the account's timezone.
    timezone                   text,
    -- [{field, operator, value}], field a dotted path into the event's object.
    conditions                 jsonb       NOT NULL DEFAULT '[]'::jsonb,
    condition_mode             text        NOT NULL DEFAULT 'all',
    -- [{type, params}], run in order.
    actions                    jsonb       NOT NULL DEFAULT '[]'::jsonb,
    is_active                  boolean     NOT NULL DEFAULT true,
    -- Null: unlimited. Counted per day in the account's timezone.
    max_executions_per_day     integer,
    -- Null: unlimited. The actions of one execution together may hold at most this many credits.
    credit_limit_per_execution bigint,
    last_executed_at           timestamptz,
    -- The daily counter and the account-local date it counts for. Claiming an execution is one
    -- conditional UPDATE (reset when the date changed, else increment while below the limit), so
    -- concurrent events cannot exceed max_executions_per_day.
    execution_count_today      integer     NOT NULL DEFAULT 0,
    execution_count_date       date,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT automation_rules_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT automation_rules_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT automation_rules_site_fkey FOREIGN KEY (account_id, site_id)
        REFERENCES sites (account_id, id) ON DELETE CASCADE,
    CONSTRAINT automation_rules_name_key UNIQUE (account_id, name),
    CONSTRAINT automation_rules_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT automation_rules_trigger_type_check CHECK (
        trigger_type IN ('schedule', 'keyword_added', 'cluster_created', 'idea_created', 'task_created',
                         'content_generated', 'content_synced', 'content_optimized')
    ),
    -- A schedule rule needs a cron expression and an event rule must not have one.
    CONSTRAINT automation_rules_schedule_iff_scheduled CHECK (
        (trigger_type = 'schedule') = (schedule IS NOT NULL)
    ),
    CONSTRAINT automation_rules_condition_mode_check CHECK (condition_mode IN ('all', 'any')),
    CONSTRAINT automation_rules_conditions_array CHECK (jsonb_typeof(conditions) = 'array'),
    CONSTRAINT automation_rules_actions_array CHECK (jsonb_typeof(actions) = 'array'),
    CONSTRAINT automation_rules_max_executions_positive CHECK (max_executions_per_day > 0),
    CONSTRAINT automation_rules_credit_limit_positive CHECK (credit_limit_per_execution > 0),
    CONSTRAINT automation_rules_execution_count_nonnegative CHECK (execution_count_today >= 0)
);

-- Event evaluation looks up an account's active rules for one trigger; the scheduler loads every
-- active schedule rule.
CREATE INDEX automation_rules_trigger_idx ON automation_rules (account_id, trigger_type) WHERE is_active;
CREATE INDEX automation_rules_schedule_idx ON automation_rules (trigger_type)
    WHERE is_active AND trigger_type = 'schedule';
CREATE INDEX automation_rules_site_idx ON automation_rules (account_id, site_id) WHERE site_id IS NOT NULL;

CREATE TRIGGER automation_rules_set_updated_at BEFORE UPDATE ON automation_rules
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The domain-event outbox. A change that rules may react to (a keyword added, content synced, ...)
-- inserts its event here in the same transaction as the change, so an event is never lost when the
-- daemon dies right after the commit and never exists for a change that rolled back. A worker
-- claims unprocessed rows (FOR UPDATE SKIP LOCKED), evaluates the rules and sets processed_at in the
-- same transaction as the scheduled_tasks it creates, so it is processed once.
CREATE TABLE domain_events (
    account_id   bigint      NOT NULL,
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    kind         text        NOT NULL,
    -- The object the event is about (keyword, cluster, content_idea, task, content).
    subject_type text        NOT NULL,
    subject_id   bigint      NOT NULL,
    -- A snapshot of the subject for condition evaluation (fields like content.word_count).
    payload      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- The chain of events and rule executions that led here, oldest first. A rule whose action
    -- causes the event that triggers it again is stopped once depth passes the configured limit.
    causation    jsonb       NOT NULL DEFAULT '[]'::jsonb,
    depth        integer     NOT NULL DEFAULT 0,
    -- Processing attempts, so a poison event can be set aside instead of retried forever.
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    CONSTRAINT domain_events_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT domain_events_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT domain_events_kind_check CHECK (
        kind IN ('keyword_added', 'cluster_created', 'idea_created', 'task_created',
                 'content_generated', 'content_synced', 'content_optimized')
    ),
    CONSTRAINT domain_events_subject_type_not_blank CHECK (btrim(subject_type) <> ''),
    CONSTRAINT domain_events_payload_object CHECK (jsonb_typeof(payload) = 'object'),
    CONSTRAINT domain_events_causation_array CHECK (jsonb_typeof(causation) = 'array'),
    CONSTRAINT domain_events_depth_nonnegative CHECK (depth >= 0),
    CONSTRAINT domain_events_attempts_nonnegative CHECK (attempts >= 0)
);

-- The worker's queue: only unprocessed events, oldest first. Processed rows are pruned by age.
CREATE INDEX domain_events_unprocessed_idx ON domain_events (created_at, id) WHERE processed_at IS NULL;
CREATE INDEX domain_events_processed_at_idx ON domain_events (processed_at) WHERE processed_at IS NOT NULL;

-- One row per rule execution (scheduled, event-triggered or manual), with each action's result,
-- the error and the credits used. A failed row is retried in place with the same trigger context;
-- the idempotency key (e.g. rule:{rule}:event:{event} or rule:{rule}:cron:{fire_at}) makes a
-- redelivered event or a second scheduler create no second execution.
CREATE TABLE scheduled_tasks (
    account_id      bigint      NOT NULL,
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    -- Kept when the rule is deleted, so history and the automation summary stay intact.
    rule_id         bigint,
    -- The event that triggered the execution, when there was one.
    event_id        bigint,
    status          text        NOT NULL DEFAULT 'pending',
    -- schedule, manual, or the event kind that fired the rule.
    trigger_type    text        NOT NULL,
    -- What the conditions and actions run against: the event payload or the manual context.
    trigger_context jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- The causation chain carried into events this execution causes.
    causation       jsonb       NOT NULL DEFAULT '[]'::jsonb,
    -- One entry per action: type, outcome, output, credits, skip reason.
    result          jsonb       NOT NULL DEFAULT '[]'::jsonb,
    -- Machine-readable cause, e.g. credit_limit_exceeded, module_disabled.
    error_code      text,
    error           text,
    -- Why the execution did not run (limit reached, conditions false, depth limit, ...).
    skip_reason     text,
    credits_used    bigint      NOT NULL DEFAULT 0,
    attempts        integer     NOT NULL DEFAULT 0,
    idempotency_key text        NOT NULL,
    -- The cron fire time or event time the execution belongs to.
    scheduled_for   timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT scheduled_tasks_pkey PRIMARY KEY (account_id, id),
    CONSTRAINT scheduled_tasks_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT scheduled_tasks_rule_fkey FOREIGN KEY (account_id, rule_id)
        REFERENCES automation_rules (account_id, id) ON DELETE SET NULL (rule_id),
    -- Events are pruned after processing; the execution keeps its own copy of the context.
    CONSTRAINT scheduled_tasks_event_fkey FOREIGN KEY (account_id, event_id)
        REFERENCES domain_events (account_id, id) ON DELETE SET NULL (event_id),
    CONSTRAINT scheduled_tasks_idempotency_key UNIQUE (account_id, idempotency_key),
    CONSTRAINT scheduled_tasks_status_check CHECK (
        status IN ('pending', 'running', 'completed', 'failed', 'skipped')
    ),
    CONSTRAINT scheduled_tasks_trigger_type_not_blank CHECK (btrim(trigger_type) <> ''),
    CONSTRAINT scheduled_tasks_idempotency_key_not_blank CHECK (btrim(idempotency_key) <> ''),
    CONSTRAINT scheduled_tasks_trigger_context_object CHECK (jsonb_typeof(trigger_context) = 'object'),
    CONSTRAINT scheduled_tasks_causation_array CHECK (jsonb_typeof(causation) = 'array'),
    CONSTRAINT scheduled_tasks_result_array CHECK (jsonb_typeof(result) = 'array'),
    CONSTRAINT scheduled_tasks_credits_used_nonnegative CHECK (credits_used >= 0),
    CONSTRAINT scheduled_tasks_attempts_nonnegative CHECK (attempts >= 0),
    CONSTRAINT scheduled_tasks_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL),
    CONSTRAINT scheduled_tasks_skipped_has_reason CHECK (status <> 'skipped' OR skip_reason IS NOT NULL),
    CONSTRAINT scheduled_tasks_finished_after_start CHECK (
        finished_at IS NULL OR started_at IS NULL OR finished_at >= started_at
    )
);

-- The list filters by status, rule and time; the summary counts executions over 24 h and 7 days.
CREATE INDEX scheduled_tasks_account_created_idx ON scheduled_tasks (account_id, created_at DESC);
CREATE INDEX scheduled_tasks_status_idx ON scheduled_tasks (account_id, status, created_at DESC);
CREATE INDEX scheduled_tasks_rule_idx ON scheduled_tasks (account_id, rule_id, created_at DESC)
    WHERE rule_id IS NOT NULL;
CREATE INDEX scheduled_tasks_event_idx ON scheduled_tasks (account_id, event_id) WHERE event_id IS NOT NULL;

CREATE TRIGGER scheduled_tasks_set_updated_at BEFORE UPDATE ON scheduled_tasks
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
