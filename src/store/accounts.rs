//! Accounts and the plans they are on.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::ids::AccountId;
use crate::settings::PlanSettings;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub plan: Option<String>,
    pub status: String,
    pub timezone: String,
    pub credits: i64,
    pub credits_held: i64,
    pub created_at: DateTime<Utc>,
}

/// An account due a monthly grant.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GrantDue {
    pub account_id: AccountId,
    pub monthly_credits: i64,
}

const ACCOUNT_COLUMNS: &str = "a.id, a.name, p.name AS plan, a.status, a.timezone, a.credits,
                               a.credits_held, a.created_at";

impl Store {
    /// Creates or updates the configured plans by name. Plans no longer configured are kept (
    /// accounts may still be on them) but marked inactive.
    pub async fn sync_plans(
        &self,
        plans: &BTreeMap<String, PlanSettings>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for (name, plan) in plans {
            sqlx::query(
                "INSERT INTO plans (name, monthly_credits, support_level, billing_cycle, price,
                                    currency, features, is_active)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, true)
                 ON CONFLICT (name) DO UPDATE SET
                     monthly_credits = EXCLUDED.monthly_credits,
                     support_level = EXCLUDED.support_level,
                     billing_cycle = EXCLUDED.billing_cycle,
                     price = EXCLUDED.price,
                     currency = EXCLUDED.currency,
                     features = EXCLUDED.features,
                     is_active = true",
            )
            .bind(name)
            .bind(plan.monthly_credits)
            .bind(&plan.support_level)
            .bind(&plan.billing_cycle)
            .bind(plan.price)
            .bind(&plan.currency)
            .bind(&plan.features)
            .execute(&mut *tx)
            .await?;
        }
        let names: Vec<&str> = plans.keys().map(String::as_str).collect();
        sqlx::query("UPDATE plans SET is_active = false WHERE is_active AND name <> ALL($1)")
            .bind(&names)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an active account, on the named plan when one is given. An unknown or inactive
    /// plan is [`StoreError::NotFound`].
    pub async fn create_account(
        &self,
        name: &str,
        plan: Option<&str>,
    ) -> Result<Account, StoreError> {
        let mut tx = self.begin().await?;
        let plan_id: Option<i64> = match plan {
            Some(plan) => Some(
                sqlx::query_scalar("SELECT id FROM plans WHERE name = $1 AND is_active")
                    .bind(plan)
                    .fetch_one(&mut *tx)
                    .await?,
            ),
            None => None,
        };
        let id: AccountId =
            sqlx::query_scalar("INSERT INTO accounts (name, plan_id) VALUES ($1, $2) RETURNING id")
                .bind(name)
                .bind(plan_id)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        self.account(id).await
    }

    pub async fn account(&self, id: AccountId) -> Result<Account, StoreError> {
        let account = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN plans p ON p.id = a.plan_id
             WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(account)
    }

    /// Accounts with this name, oldest first (names are labels, not keys).
    pub async fn accounts_named(&self, name: &str) -> Result<Vec<Account>, StoreError> {
        let accounts = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN plans p ON p.id = a.plan_id
             WHERE a.name = $1 ORDER BY a.id"
        )))
        .bind(name)
        .fetch_all(self.pool())
        .await?;
        Ok(accounts)
    }

    /// Active accounts on a plan that grants credits every month.
    pub async fn grants_due(&self) -> Result<Vec<GrantDue>, StoreError> {
        let due = sqlx::query_as(
            "SELECT a.id AS account_id, p.monthly_credits
             FROM accounts a JOIN plans p ON p.id = a.plan_id
             WHERE a.status = 'active' AND p.monthly_credits > 0
             ORDER BY a.id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(due)
    }
}
