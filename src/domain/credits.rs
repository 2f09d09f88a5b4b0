//! What operations cost, and the checked values credit movements are made of.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An operation that costs credits.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Clustering,
    IdeaGeneration,
    ContentGeneration,
    ImageGeneration,
    Linking,
    Optimization,
    SiteStructureGeneration,
    SitePageGeneration,
}

/// What one unit of an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Request,
    Cluster,
    /// Charged per started block of this many words.
    Words(u32),
    Image,
    Content,
    Page,
}

impl Operation {
    pub const ALL: [Operation; 8] = [
        Operation::Clustering,
        Operation::IdeaGeneration,
        Operation::ContentGeneration,
        Operation::ImageGeneration,
        Operation::Linking,
        Operation::Optimization,
        Operation::SiteStructureGeneration,
        Operation::SitePageGeneration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Clustering => "clustering",
            Operation::IdeaGeneration => "idea_generation",
            Operation::ContentGeneration => "content_generation",
            Operation::ImageGeneration => "image_generation",
            Operation::Linking => "linking",
            Operation::Optimization => "optimization",
            Operation::SiteStructureGeneration => "site_structure_generation",
            Operation::SitePageGeneration => "site_page_generation",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Operation::Clustering | Operation::SiteStructureGeneration => Unit::Request,
            Operation::IdeaGeneration => Unit::Cluster,
            Operation::ContentGeneration => Unit::Words(100),
            Operation::ImageGeneration => Unit::Image,
            Operation::Linking => Unit::Content,
            Operation::Optimization => Unit::Words(200),
            Operation::SitePageGeneration => Unit::Page,
        }
    }

    /// The cost of one unit when the configuration does not say otherwise.
    pub fn default_cost(self) -> u32 {
        match self {
            Operation::Clustering => 10,
            Operation::IdeaGeneration => 15,
            Operation::ContentGeneration => 1,
            Operation::ImageGeneration => 5,
            Operation::Linking => 8,
            Operation::Optimization => 1,
            Operation::SiteStructureGeneration => 50,
            Operation::SitePageGeneration => 20,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = String;

    fn from_str(s: &str) -> Result<Operation, String> {
        Operation::ALL
            .into_iter()
            .find(|op| op.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Operation::ALL.iter().map(|op| op.as_str()).collect();
                format!("expected one of {}, found {s:?}", names.join(", "))
            })
    }
}

/// Credits per unit of each operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostTable {
    costs: BTreeMap<Operation, u32>,
}

impl CostTable {
    pub fn new(costs: BTreeMap<Operation, u32>) -> CostTable {
        CostTable { costs }
    }

    pub fn per_unit(&self, operation: Operation) -> u32 {
        self.costs
            .get(&operation)
            .copied()
            .unwrap_or_else(|| operation.default_cost())
    }

    /// The cost of `quantity` of the operation's unit (words for word-priced operations, where
    /// every started block counts and any text costs at least one block).
    pub fn cost(&self, operation: Operation, quantity: u64) -> u64 {
        let units = match operation.unit() {
            Unit::Words(block) => quantity.div_ceil(u64::from(block)).max(1),
            _ => quantity,
        };
        units.saturating_mul(u64::from(self.per_unit(operation)))
    }
}

/// Every operation with its per-unit cost, defaults included.
impl Serialize for CostTable {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(Operation::ALL.len()))?;
        for operation in Operation::ALL {
            map.serialize_entry(operation.as_str(), &self.per_unit(operation))?;
        }
        map.end()
    }
}

impl Default for CostTable {
    fn default() -> CostTable {
        CostTable::new(BTreeMap::new())
    }
}

/// A client- or operation-chosen key that makes a credit movement happen at most once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 200;

    pub fn parse(key: &str) -> Result<IdempotencyKey, String> {
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(format!(
                "expected 1 to {} characters, found {}",
                Self::MAX_LEN,
                key.len()
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("expected printable ASCII without spaces".to_owned());
        }
        Ok(IdempotencyKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_costs_follow_the_cost_table() {
        let table = CostTable::default();
        assert_eq!(table.cost(Operation::Clustering, 1), 10);
        assert_eq!(table.cost(Operation::IdeaGeneration, 3), 45);
        assert_eq!(table.cost(Operation::ContentGeneration, 1500), 15);
        assert_eq!(table.cost(Operation::ContentGeneration, 1501), 16);
        assert_eq!(table.cost(Operation::ContentGeneration, 0), 1);
        assert_eq!(table.cost(Operation::ImageGeneration, 2), 10);
        assert_eq!(table.cost(Operation::Linking, 1), 8);
        assert_eq!(table.cost(Operation::Optimization, 450), 3);
        assert_eq!(table.cost(Operation::SiteStructureGeneration, 1), 50);
        assert_eq!(table.cost(Operation::SitePageGeneration, 4), 80);
    }

    #[test]
    fn configured_costs_override_defaults() {
        let table = CostTable::new(BTreeMap::from([(Operation::Linking, 2)]));
        assert_eq!(table.cost(Operation::Linking, 5), 10);
        assert_eq!(table.cost(Operation::Clustering, 1), 10);
    }

    #[test]
    fn operations_parse_by_name() {
        for op in Operation::ALL {
            assert_eq!(op.as_str().parse::<Operation>(), Ok(op));
        }
        assert!(
            "mining"
                .parse::<Operation>()
                .unwrap_err()
                .contains("clustering")
        );
    }

    #[test]
    fn idempotency_keys_are_bounded_printable_text() {
        assert!(IdempotencyKey::parse("order-17/retry").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(201)).is_err());
    }
}
