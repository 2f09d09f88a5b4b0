//! Domain events: the changes automation rules react to. A change writes its event in the same
//! transaction (the `domain_events` outbox), so an event exists exactly when its change does.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::ids::{AccountId, EventId, RuleId, ScheduledTaskId};

/// What happened. The same names are the event triggers a rule can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    KeywordAdded,
    ClusterCreated,
    IdeaCreated,
    TaskCreated,
    ContentGenerated,
    ContentSynced,
    ContentOptimized,
}

impl EventKind {
    pub const ALL: [EventKind; 7] = [
        EventKind::KeywordAdded,
        EventKind::ClusterCreated,
        EventKind::IdeaCreated,
        EventKind::TaskCreated,
        EventKind::ContentGenerated,
        EventKind::ContentSynced,
        EventKind::ContentOptimized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::KeywordAdded => "keyword_added",
            EventKind::ClusterCreated => "cluster_created",
            EventKind::IdeaCreated => "idea_created",
            EventKind::TaskCreated => "task_created",
            EventKind::ContentGenerated => "content_generated",
            EventKind::ContentSynced => "content_synced",
            EventKind::ContentOptimized => "content_optimized",
        }
    }

    /// The `subject_type` of this kind's events, which is also the top-level key of its
    /// payload (a rule's condition reads `content.word_count`, `keyword.volume`, ...).
    pub fn subject_type(self) -> &'static str {
        match self {
            EventKind::KeywordAdded => "keyword",
            EventKind::ClusterCreated => "cluster",
            EventKind::IdeaCreated => "idea",
            EventKind::TaskCreated => "task",
            EventKind::ContentGenerated
            | EventKind::ContentSynced
            | EventKind::ContentOptimized => "content",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<EventKind, String> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("expected one of {}, found {s:?}", names.join(", "))
            })
    }
}

/// One link of the chain that led to an event: the event that fired a rule, and the rule's
/// execution whose action caused the next change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CausationLink {
    pub event: EventId,
    pub rule: RuleId,
    pub task: ScheduledTaskId,
}

/// Where a change came from: nowhere (a person, a sync) or a rule execution, with the chain
/// before it. An event's depth is the length of its chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Causation(Vec<CausationLink>);

impl Causation {
    /// A change nobody's rule caused.
    pub fn root() -> Causation {
        Causation(Vec::new())
    }

    /// The chain of a change made by `link`'s execution, which ran because of this chain.
    pub fn followed_by(&self, link: CausationLink) -> Causation {
        let mut chain = self.0.clone();
        chain.push(link);
        Causation(chain)
    }

    pub fn depth(&self) -> usize {
        self.0.len()
    }

    pub fn links(&self) -> &[CausationLink] {
        &self.0
    }
}

/// An event about to be written, in the transaction of the change it reports.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub account: AccountId,
    pub kind: EventKind,
    pub subject_id: i64,
    /// The subject's snapshot under its subject type, e.g. `{"content": {"word_count": 812}}`.
    pub payload: serde_json::Map<String, serde_json::Value>,
    pub causation: Causation,
}

impl NewEvent {
    /// An event whose payload is `subject` under the kind's subject type.
    pub fn new(
        account: AccountId,
        kind: EventKind,
        subject_id: i64,
        subject: serde_json::Value,
        causation: Causation,
    ) -> NewEvent {
        let mut payload = serde_json::Map::new();
        payload.insert(kind.subject_type().to_owned(), subject);
        NewEvent {
            account,
            kind,
            subject_id,
            payload,
            causation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
        }
        let err = "content_deleted".parse::<EventKind>().unwrap_err();
        assert!(
            err.contains("content_synced") && err.contains("content_deleted"),
            "{err}"
        );
    }

    #[test]
    fn causation_depth_grows_by_one_per_link() {
        let link = CausationLink {
            event: EventId::new(1),
            rule: RuleId::new(2),
            task: ScheduledTaskId::new(3),
        };
        let chain = Causation::root().followed_by(link.clone());
        assert_eq!(chain.depth(), 1);
        assert_eq!(chain.followed_by(link).depth(), 2);
        assert_eq!(Causation::root().depth(), 0);
    }
}
