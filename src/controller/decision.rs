//! The decision a controller serves when its provider's record sets live
//! in each controller (see `adopt`): apart from the adoption logic so that
//! the state and events can hold one without naming it.

use std::time::SystemTime;

/// What a service serves, as the controller that decided it wrote it.
/// Decisions are ordered by when they were written, then by the writer's
/// id, so every controller agrees which of two is newer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The pool served.
    pub pool: String,
    /// When the writer's provider accepted it (the writer's wall clock).
    pub at: SystemTime,
    /// The controller that wrote it first.
    pub by: String,
    /// The writer's incident id for it.
    pub incident: Option<String>,
}

impl Decision {
    /// Whether this decision comes after `other` in the total order.
    pub fn newer_than(&self, other: &Decision) -> bool {
        (self.at, self.by.as_str()) > (other.at, other.by.as_str())
    }
}
