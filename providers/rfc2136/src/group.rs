//! A group change as one UPDATE: the prerequisites of every record set and
//! all the updates in one message, which the server applies as one
//! transaction (one new serial), or refuses whole.

use std::sync::atomic::AtomicBool;

use rtoguard_provider_api::limits::retry;
use rtoguard_provider_api::{ChangeSet, ProviderError, Receipt};
use tracing::info;

use crate::message::{self, Member};
use crate::provider::Rfc2136Provider;

impl Rfc2136Provider {
    /// Apply every change of `set` in one signed UPDATE.
    pub(crate) async fn apply_group(
        &self,
        zone: &str,
        set: &ChangeSet,
    ) -> Result<Receipt, ProviderError> {
        let mut members = Vec::new();
        let mut wanted = Vec::new();
        let mut zone_name = None;
        for change in set.changes() {
            let (z, owner) = self.names(zone, change.name())?;
            let (expected, desired) = self.plain_sets(change)?;
            members.push(Member {
                name: change.name(),
                rtype: change.rtype(),
                expected,
                desired,
            });
            wanted.push((owner, desired));
            zone_name = Some(z);
        }
        // A ChangeSet holds at least one change: the zone was parsed.
        let Some(zone_name) = zone_name else {
            return Err(ProviderError::Refused("an empty group change".into()));
        };
        let msg = message::update_all(zone, &members).map_err(|e| self.build_error(e))?;
        let maybe_landed = AtomicBool::new(false);
        retry(&self.budget, self.policy(), "apply", || {
            self.update_or_confirm(&msg, &wanted, &maybe_landed)
        })
        .await?;
        let serial = retry(&self.budget, self.policy(), "serial", || {
            self.serial_once(&zone_name)
        })
        .await?;
        let names: Vec<String> = set
            .changes()
            .iter()
            .flat_map(|c| c.desired().iter().map(ToString::to_string))
            .collect();
        info!(
            provider = %self.settings.name,
            zone,
            to = %names.join(", "),
            serial,
            "Applied the change in one update."
        );
        Ok(Receipt {
            id: serial.to_string(),
            status: "NOERROR".into(),
        })
    }
}
