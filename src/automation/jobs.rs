//! The automation job kinds: `automation.execute` runs one execution, `automation.fire` turns a
//! schedule rule's fire into an execution.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::automation::Automation;
use crate::domain::ids::{AccountId, RuleId, ScheduledTaskId};
use crate::jobs::handler::{JobContext, JobError, Registry};
use crate::store::jobs::NewJob;

pub const EXECUTE: &str = "automation.execute";
pub const FIRE: &str = "automation.fire";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutePayload {
    pub account_id: AccountId,
    pub task_id: ScheduledTaskId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirePayload {
    pub account_id: AccountId,
    pub rule_id: RuleId,
}

/// The job that runs execution `task`; one at a time per execution.
pub fn execute_job(account: AccountId, task: ScheduledTaskId, max_attempts: u32) -> NewJob {
    NewJob::new(
        EXECUTE,
        json!(ExecutePayload {
            account_id: account,
            task_id: task,
        }),
        max_attempts,
    )
    .unique(format!("{EXECUTE}:{account}:{task}"))
}

fn payload<T: serde::de::DeserializeOwned>(context: &JobContext) -> Result<T, JobError> {
    serde_json::from_value(context.payload.clone())
        .map_err(|err| JobError::Permanent(format!("bad payload: {err}")))
}

/// Registers the automation job kinds.
pub fn install(registry: &mut Registry, automation: Automation) {
    let runner = automation.clone();
    registry.register(EXECUTE, move |context: JobContext| {
        let automation = runner.clone();
        async move {
            let p: ExecutePayload = payload(&context)?;
            automation.run_task(p.account_id, p.task_id).await?;
            Ok(())
        }
    });
    registry.register(FIRE, move |context: JobContext| {
        let automation = automation.clone();
        async move {
            let p: FirePayload = payload(&context)?;
            // The job runs at its fire time, which names the fire once across daemons.
            let fire_at = context.store.job(context.id).await?.run_at;
            automation.fire(p.account_id, p.rule_id, fire_at).await?;
            Ok(())
        }
    });
}
