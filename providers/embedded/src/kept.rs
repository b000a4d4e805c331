//! The record sets written through the provider, kept in the state file so a
//! restarted server serves what was last written.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rtoguard_provider_api::{RecordSet, RecordType};

/// A kept set's key: zone, name, type.
pub type Key = (String, String, RecordType);

/// The record sets written through the provider, and where they are kept.
#[derive(Debug, Default)]
pub struct Written {
    file: Option<PathBuf>,
    /// The serial of the last write.
    pub serial: u32,
    pub sets: BTreeMap<Key, RecordSet>,
}

impl Written {
    /// Read the sets kept in `file` (none yet: empty).
    pub fn load(file: Option<PathBuf>) -> Result<Self, crate::Error> {
        let mut w = Self {
            file,
            serial: 0,
            sets: BTreeMap::new(),
        };
        let Some(path) = &w.file else { return Ok(w) };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(w),
            Err(e) => {
                return Err(crate::Error::State {
                    path: path.clone(),
                    message: e.to_string(),
                });
            }
        };
        let kept: KeptFile = serde_json::from_str(&text).map_err(|e| crate::Error::State {
            path: path.clone(),
            message: e.to_string(),
        })?;
        w.serial = kept.serial;
        for k in kept.sets {
            w.sets
                .insert((k.zone.clone(), k.set.name.clone(), k.set.rtype), k.set);
        }
        Ok(w)
    }

    /// Keep the sets with each of `sets` (a key without a set: removed),
    /// all in one write: to a temporary file, synced, renamed over the old
    /// one, so a group is kept whole or not at all.
    pub fn keep(
        &mut self,
        sets: Vec<(Key, Option<RecordSet>)>,
        serial: u32,
    ) -> std::io::Result<()> {
        let mut next = self.sets.clone();
        for (key, set) in sets {
            match set {
                Some(s) => next.insert(key, s),
                None => next.remove(&key),
            };
        }
        if let Some(path) = &self.file {
            let sets = next
                .iter()
                .map(|((zone, _, _), set)| Kept {
                    zone: zone.clone(),
                    set: set.clone(),
                })
                .collect();
            let kept = KeptFile { serial, sets };
            let text = serde_json::to_vec_pretty(&kept).map_err(std::io::Error::other)?;
            let tmp = path.with_extension("tmp");
            {
                let mut f = std::fs::File::create(&tmp)?;
                std::io::Write::write_all(&mut f, &text)?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, path)?;
        }
        self.sets = next;
        self.serial = serial;
        Ok(())
    }
}

/// The state file: the last serial and every set written.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct KeptFile {
    serial: u32,
    sets: Vec<Kept>,
}

/// One kept record set and its zone, as stored in the state file.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Kept {
    zone: String,
    set: RecordSet,
}
