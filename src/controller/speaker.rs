//! Who speaks for an incident, as data (the `voice` module decides it).

use std::fmt;
use std::time::SystemTime;

/// Why a controller speaks for an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Because {
    /// It wrote the flip.
    Wrote,
    /// An operator asked it (a failover, failback or drill).
    Asked,
    /// Nobody had to write: the first in the writer order of the pool the
    /// traffic would move to speaks.
    FirstByRank,
}

/// Who speaks for an incident: this controller, or another one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Voice {
    /// This controller sends the webhooks, counts the incident and stores the report.
    Own(Because),
    /// Another controller speaks; this journal is a view of its incident.
    View {
        /// Who speaks (`None`: the writer, not heard from yet).
        speaker: Option<String>,
        /// The speaker's id for the incident, when it published it.
        incident: Option<String>,
        because: Because,
    },
}

impl Voice {
    /// Whether this controller speaks for the incident.
    pub fn speaks(&self) -> bool {
        matches!(self, Voice::Own(_))
    }

    /// Who speaks, when it is another controller that is known.
    pub fn speaker(&self) -> Option<&str> {
        match self {
            Voice::View { speaker, .. } => speaker.as_deref(),
            Voice::Own(_) => None,
        }
    }
}

impl fmt::Display for Voice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Voice::Own(Because::Wrote) => {
                f.write_str("this controller wrote the flip and speaks for the incident")
            }
            Voice::Own(Because::Asked) => {
                f.write_str("this controller was asked and speaks for the incident")
            }
            Voice::Own(Because::FirstByRank) => {
                f.write_str("this controller comes first by rank and speaks for the incident")
            }
            Voice::View {
                speaker,
                incident,
                because,
            } => {
                let who = speaker
                    .as_deref()
                    .unwrap_or("the controller that wrote the flip (not heard from)");
                let why = match because {
                    Because::Wrote => "it wrote the flip",
                    Because::Asked => "it was asked",
                    Because::FirstByRank => "first by rank; nobody had to write",
                };
                write!(f, "a view of the incident: {who} speaks for it ({why}")?;
                match incident {
                    Some(id) => write!(f, "; its incident {id})"),
                    None => f.write_str(")"),
                }
            }
        }
    }
}

/// A flip another controller made, as its observations publish it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerWrite {
    /// The controller that wrote.
    pub by: String,
    /// The pool it flipped to.
    pub pool: String,
    /// When the provider accepted it (the writer's wall clock).
    pub at: SystemTime,
    /// The writer's incident id for it.
    pub incident: Option<String>,
}
