//! Background work: the handler registry, the worker pool that runs claimed jobs, and the
//! scheduler that turns cron schedules into jobs.

pub mod backoff;
pub mod handler;
pub mod housekeeping;
pub mod scheduler;
pub mod worker;
