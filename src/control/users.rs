//! Who asked: the Unix user behind a control-socket connection (SO_PEERCRED)
//! or behind a direct command (the real uid, and `SUDO_USER` under sudo),
//! named from /etc/passwd.

/// `user:NAME` for `uid`, or `uid:N` when it has no passwd entry.
pub fn actor_for_uid(uid: u32) -> String {
    name_of(uid).map_or_else(|| format!("uid:{uid}"), |name| format!("user:{name}"))
}

/// Who runs this process: `user:NAME` for the real uid (never `$USER`,
/// which anyone can set), and under sudo the person who ran sudo first:
/// `user:alice via sudo (root)`.
pub fn local_actor() -> String {
    // Read here only: sudo sets it for the command it runs; it names a
    // person for the journal and is never configuration.
    #[allow(clippy::disallowed_methods)]
    let sudo_user = std::env::var("SUDO_USER").ok();
    local_actor_with(rustix::process::getuid().as_raw(), sudo_user.as_deref())
}

/// [`local_actor`] for a real `uid` and the `SUDO_USER` found.
fn local_actor_with(uid: u32, sudo_user: Option<&str>) -> String {
    let me = name_of(uid);
    let shown = me.clone().unwrap_or_else(|| format!("uid {uid}"));
    match sudo_user.map(str::trim).filter(|s| !s.is_empty()) {
        Some(person) if Some(person) != me.as_deref() => {
            format!("user:{person} via sudo ({shown})")
        }
        _ => actor_for_uid(uid),
    }
}

/// The name of `uid` in /etc/passwd, if it has one.
fn name_of(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let id: u32 = f.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::{actor_for_uid, local_actor_with};

    #[test]
    fn root_is_named() {
        assert_eq!(actor_for_uid(0), "user:root");
        assert_eq!(actor_for_uid(4_000_000_000), "uid:4000000000");
    }

    #[test]
    fn sudo_names_the_person_and_the_account() {
        assert_eq!(
            local_actor_with(0, Some("alice")),
            "user:alice via sudo (root)"
        );
        assert_eq!(
            local_actor_with(4_000_000_000, Some("alice")),
            "user:alice via sudo (uid 4000000000)"
        );
        // Not under sudo, or sudo to oneself: the real uid alone.
        assert_eq!(local_actor_with(0, None), "user:root");
        assert_eq!(local_actor_with(0, Some("root")), "user:root");
        assert_eq!(local_actor_with(0, Some("")), "user:root");
        // An unnamed uid is its number, never "unknown".
        assert_eq!(local_actor_with(4_000_000_000, None), "uid:4000000000");
    }
}
