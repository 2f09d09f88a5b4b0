//! Typed ids, so an id of one kind cannot be passed where another kind is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            sqlx::Type, utoipa::ToSchema,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        pub struct $name(i64);

        impl $name {
            pub fn new(id: i64) -> $name {
                $name(id)
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<$name, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// A row in `jobs`.
    JobId
);
id_type!(
    /// An account: the tenant every other row belongs to.
    AccountId
);
id_type!(
    /// A plan in `plans`.
    PlanId
);
id_type!(
    /// An API token in `api_tokens`.
    TokenId
);
id_type!(
    /// A credit hold in `credit_holds`.
    HoldId
);
id_type!(
    /// A ledger row in `credit_transactions`.
    TransactionId
);
id_type!(
    /// A site in `sites`: one CMS (or folder) connected to an account.
    SiteId
);
id_type!(
    /// A content item in `content`.
    ContentId
);
id_type!(
    /// A sync run in `sync_runs`.
    SyncRunId
);
id_type!(
    /// A row of the push outbox, `push_jobs`.
    PushJobId
);
id_type!(
    /// An optimizer run in `optimization_tasks`.
    OptimizationTaskId
);
id_type!(
    /// A domain event in `domain_events`: a change automation rules may react to.
    EventId
);
id_type!(
    /// An automation rule in `automation_rules`.
    RuleId
);
id_type!(
    /// One execution of a rule in `scheduled_tasks`.
    ScheduledTaskId
);
id_type!(
    /// A planner keyword in `keywords`.
    KeywordId
);
id_type!(
    /// A keyword cluster in `clusters`.
    ClusterId
);
id_type!(
    /// An article idea in `content_ideas`.
    IdeaId
);
id_type!(
    /// A writer task in `tasks`.
    TaskId
);
id_type!(
    /// An image request in `images`.
    ImageId
);
id_type!(
    /// A person of an account in `users`.
    UserId
);
id_type!(
    /// A site access grant in `site_user_access`.
    GrantId
);
