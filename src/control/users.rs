//! The Unix user behind a control-socket connection (SO_PEERCRED → /etc/passwd).

/// `user:NAME` for `uid`, or `uid:N` when it has no passwd entry.
pub fn actor_for_uid(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id: u32 = f.nth(1)?.parse().ok()?;
            (id == uid).then(|| format!("user:{name}"))
        })
        .next()
        .unwrap_or_else(|| format!("uid:{uid}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn root_is_named() {
        assert_eq!(super::actor_for_uid(0), "user:root");
        assert_eq!(super::actor_for_uid(4_000_000_000), "uid:4000000000");
    }
}
