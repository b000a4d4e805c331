//! BIND's `nsupdate` as an independent client of the demo authority.

use super::*;

#[tokio::test]
async fn nsupdate_drives_the_authority() {
    if !std::path::Path::new("/usr/bin/nsupdate").exists() {
        panic!("nsupdate (bind9-dnsutils) is required for this test");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let auth = start(&dir).await;
    let secret = base64(SECRET);
    let script = |expect: &str, to: &str| {
        format!(
            "server {} {}\nzone {ZONE}\nkey hmac-sha256:{KEY} {secret}\nprereq yxrrset {WWW} A {expect}\nupdate delete {WWW} A\nupdate add {WWW} 60 A {to}\nsend\n",
            auth.addr.ip(),
            auth.addr.port()
        )
    };
    let ok = nsupdate(&script("127.0.0.2", "127.0.0.7")).await;
    assert!(
        ok.status.success(),
        "nsupdate failed: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(www(auth.addr).await, vec![v4(7)]);
    let stale = nsupdate(&script("127.0.0.2", "127.0.0.8")).await;
    assert!(!stale.status.success());
    assert!(
        String::from_utf8_lossy(&stale.stderr).contains("NXRRSET"),
        "{}",
        String::from_utf8_lossy(&stale.stderr)
    );
    assert_eq!(www(auth.addr).await, vec![v4(7)]);
    auth.stop().await;
}

async fn nsupdate(script: &str) -> std::process::Output {
    let mut child = tokio::process::Command::new("/usr/bin/nsupdate")
        .arg("-v")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn nsupdate");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(script.as_bytes())
        .await
        .expect("write the script");
    drop(stdin);
    tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("nsupdate ends")
        .expect("nsupdate output")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
