//! Automation rules of an account: CRUD, the rules an event or the scheduler looks for, and the
//! claim of an execution against the rule's daily limit.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;

use crate::domain::event::EventKind;
use crate::domain::ids::{AccountId, RuleId, ScheduledTaskId, SiteId};
use crate::domain::rule::{RuleDefinition, RuleError, Trigger};
use crate::store::{Page, Paged, Store, StoreError};

/// A rule as stored. Its definition is re-checked when read (`definition`), so a row this
/// version cannot understand is reported, never run half-understood.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredRule {
    pub account_id: AccountId,
    pub id: RuleId,
    pub name: String,
    pub description: Option<String>,
    pub site_id: Option<SiteId>,
    pub trigger_type: String,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub conditions: Value,
    pub condition_mode: String,
    pub actions: Value,
    pub is_active: bool,
    pub max_executions_per_day: Option<i32>,
    pub credit_limit_per_execution: Option<i64>,
    pub last_executed_at: Option<DateTime<Utc>>,
    pub execution_count_today: i32,
    /// The account-local date the count is for.
    pub execution_count_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredRule {
    pub fn definition(&self) -> Result<RuleDefinition, RuleError> {
        RuleDefinition::parse(&json!({
            "name": self.name,
            "description": self.description,
            "site_id": self.site_id,
            "trigger_type": self.trigger_type,
            "schedule": self.schedule,
            "timezone": self.timezone,
            "conditions": self.conditions,
            "condition_mode": self.condition_mode,
            "actions": self.actions,
            "is_active": self.is_active,
            "max_executions_per_day": self.max_executions_per_day,
            "credit_limit_per_execution": self.credit_limit_per_execution,
        }))
    }
}

/// An active schedule rule with the zone its schedule is read in (its own, else its account's).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ScheduledRule {
    pub account_id: AccountId,
    pub id: RuleId,
    pub schedule: String,
    pub timezone: String,
}

const COLUMNS: &str = "account_id, id, name, description, site_id, trigger_type, schedule, \
    timezone, conditions, condition_mode, actions, is_active, max_executions_per_day, \
    credit_limit_per_execution, last_executed_at, execution_count_today, execution_count_date, \
    created_at, updated_at";

/// The rule's columns as bind values, in the order of `COLUMNS` from `name`.
struct Columns {
    schedule: Option<String>,
    timezone: Option<String>,
    conditions: Value,
    actions: Value,
}

impl Columns {
    fn of(rule: &RuleDefinition) -> Columns {
        let (schedule, timezone) = match &rule.trigger {
            Trigger::Schedule { schedule, timezone } => (
                Some(schedule.expression().to_owned()),
                timezone.map(|zone| zone.name().to_owned()),
            ),
            Trigger::Event(_) => (None, None),
        };
        Columns {
            schedule,
            timezone,
            conditions: rule.conditions_json(),
            actions: rule.actions_json(),
        }
    }
}

impl Store {
    pub async fn create_rule(
        &self,
        account: AccountId,
        rule: &RuleDefinition,
    ) -> Result<StoredRule, StoreError> {
        let c = Columns::of(rule);
        let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO automation_rules (account_id, name, description, site_id, trigger_type, \
                 schedule, timezone, conditions, condition_mode, actions, is_active, \
                 max_executions_per_day, credit_limit_per_execution) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(&rule.name)
        .bind(&rule.description)
        .bind(rule.site_id)
        .bind(rule.trigger.type_name())
        .bind(&c.schedule)
        .bind(&c.timezone)
        .bind(&c.conditions)
        .bind(rule.condition_mode.as_str())
        .bind(&c.actions)
        .bind(rule.is_active)
        .bind(rule.max_executions_per_day)
        .bind(rule.credit_limit_per_execution)
        .fetch_one(self.pool())
        .await?;
        Ok(row)
    }

    /// Replaces a rule's definition; its counters and history stay.
    pub async fn update_rule(
        &self,
        account: AccountId,
        id: RuleId,
        rule: &RuleDefinition,
    ) -> Result<StoredRule, StoreError> {
        let c = Columns::of(rule);
        let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE automation_rules SET name = $3, description = $4, site_id = $5, \
                 trigger_type = $6, schedule = $7, timezone = $8, conditions = $9, \
                 condition_mode = $10, actions = $11, is_active = $12, \
                 max_executions_per_day = $13, credit_limit_per_execution = $14 \
             WHERE account_id = $1 AND id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(&rule.name)
        .bind(&rule.description)
        .bind(rule.site_id)
        .bind(rule.trigger.type_name())
        .bind(&c.schedule)
        .bind(&c.timezone)
        .bind(&c.conditions)
        .bind(rule.condition_mode.as_str())
        .bind(&c.actions)
        .bind(rule.is_active)
        .bind(rule.max_executions_per_day)
        .bind(rule.credit_limit_per_execution)
        .fetch_one(self.pool())
        .await?;
        Ok(row)
    }

    /// Deletes a rule; its executions stay, without it.
    pub async fn delete_rule(&self, account: AccountId, id: RuleId) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM automation_rules WHERE account_id = $1 AND id = $2")
            .bind(account)
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn rule(&self, account: AccountId, id: RuleId) -> Result<StoredRule, StoreError> {
        let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM automation_rules WHERE account_id = $1 AND id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(row)
    }

    /// One page of the account's rules, by id.
    pub async fn rules(
        &self,
        account: AccountId,
        page: Page,
    ) -> Result<Paged<StoredRule>, StoreError> {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM automation_rules WHERE account_id = $1 \
             ORDER BY id LIMIT $2 OFFSET $3"
        )))
        .bind(account)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total =
            sqlx::query_scalar("SELECT count(*) FROM automation_rules WHERE account_id = $1")
                .bind(account)
                .fetch_one(self.pool())
                .await?;
        Ok(Paged { items, total })
    }

    /// The account's active rules and all rules.
    pub async fn rule_counts(&self, account: AccountId) -> Result<(i64, i64), StoreError> {
        let counts = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE is_active), count(*) \
             FROM automation_rules WHERE account_id = $1",
        )
        .bind(account)
        .fetch_one(self.pool())
        .await?;
        Ok(counts)
    }

    /// Every active schedule rule of every account, for the scheduler.
    pub async fn scheduled_rules(&self) -> Result<Vec<ScheduledRule>, StoreError> {
        let rows = sqlx::query_as(
            "SELECT r.account_id, r.id, r.schedule, coalesce(r.timezone, a.timezone) AS timezone \
             FROM automation_rules r JOIN accounts a ON a.id = r.account_id \
             WHERE r.is_active AND r.trigger_type = 'schedule'",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// Whether today's count (in the account's zone) has reached the rule's daily limit.
    pub async fn daily_limit_reached(
        &self,
        account: AccountId,
        id: RuleId,
    ) -> Result<bool, StoreError> {
        let reached = sqlx::query_scalar(
            "SELECT r.max_executions_per_day IS NOT NULL \
                    AND r.execution_count_date = (now() AT TIME ZONE a.timezone)::date \
                    AND r.execution_count_today >= r.max_executions_per_day \
             FROM automation_rules r JOIN accounts a ON a.id = r.account_id \
             WHERE r.account_id = $1 AND r.id = $2",
        )
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(reached)
    }

    /// Counts an execution of the rule for today (in the account's zone) when it is still
    /// active and below its daily limit, and marks the task counted, in one transaction. The
    /// counter moves in one conditional UPDATE (reset on a new day, else increment while below
    /// the limit), so concurrent executions never pass the limit. `false`: the limit is
    /// reached (or the rule was switched off), nothing counted.
    pub async fn claim_execution(
        &self,
        account: AccountId,
        id: RuleId,
        task: ScheduledTaskId,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(
            "UPDATE automation_rules r SET \
                 execution_count_today = CASE WHEN r.execution_count_date = d.today \
                     THEN r.execution_count_today + 1 ELSE 1 END, \
                 execution_count_date = d.today, \
                 last_executed_at = now() \
             FROM (SELECT (now() AT TIME ZONE timezone)::date AS today FROM accounts WHERE id = $1) d \
             WHERE r.account_id = $1 AND r.id = $2 AND r.is_active \
               AND (r.max_executions_per_day IS NULL \
                    OR r.execution_count_date IS DISTINCT FROM d.today \
                    OR r.execution_count_today < r.max_executions_per_day)",
        )
        .bind(account)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if claimed {
            sqlx::query(
                "UPDATE scheduled_tasks SET counted_at = now() WHERE account_id = $1 AND id = $2",
            )
            .bind(account)
            .bind(task)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }
}

/// The active rules of `account` for events of `kind` about `site` (rules scoped to another
/// site are left out), on the caller's connection (the event worker's transaction).
pub async fn active_event_rules(
    conn: &mut PgConnection,
    account: AccountId,
    kind: EventKind,
    site: Option<SiteId>,
) -> Result<Vec<RuleId>, StoreError> {
    let ids = sqlx::query_scalar(
        "SELECT id FROM automation_rules \
         WHERE account_id = $1 AND trigger_type = $2 AND is_active \
           AND (site_id IS NULL OR site_id = $3) ORDER BY id",
    )
    .bind(account)
    .bind(kind.as_str())
    .bind(site)
    .fetch_all(conn)
    .await?;
    Ok(ids)
}

/// Whether `account` has an active rule for events of `kind`: changes skip writing events
/// nobody listens for.
pub async fn has_active_rule(
    conn: &mut PgConnection,
    account: AccountId,
    kind: EventKind,
) -> Result<bool, StoreError> {
    let found = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM automation_rules \
                        WHERE account_id = $1 AND trigger_type = $2 AND is_active)",
    )
    .bind(account)
    .bind(kind.as_str())
    .fetch_one(conn)
    .await?;
    Ok(found)
}
