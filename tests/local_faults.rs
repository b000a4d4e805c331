//! A real local fault: this process runs out of file descriptors, and a real
//! probe must call that this host's trouble, not the endpoint's. One test in
//! its own binary, as it lowers the whole process's RLIMIT_NOFILE.

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use rtoguard::probe::{LocalFault, ProbeResult, ProbeSpec, Prober};
use rtoguard_testkit::region::Region;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

const TIMEOUT: Duration = Duration::from_secs(3);

fn http(port: u16) -> ProbeSpec {
    ProbeSpec::Http {
        tls: false,
        port,
        path: "/healthz".into(),
        host: String::new(),
        expect_status: vec![],
        body_contains: Some("region primary".into()),
        header: None,
        ca_file: None,
    }
}

/// Opens /dev/null until the process is out of descriptors; returns them.
fn exhaust() -> Vec<File> {
    let mut held = Vec::new();
    for _ in 0..100_000 {
        match File::open("/dev/null") {
            Ok(f) => held.push(f),
            Err(e) => {
                assert_eq!(
                    e.raw_os_error(),
                    Some(rustix::io::Errno::MFILE.raw_os_error()),
                    "{e}"
                );
                return held;
            }
        }
    }
    panic!("never ran out of descriptors");
}

fn describe(r: &ProbeResult) -> String {
    match &r.local {
        Some(l) => format!("local failure: {l}"),
        None if r.ok => format!("success: {}", r.detail),
        None => format!("target failure: {}", r.detail),
    }
}

#[test]
fn running_out_of_descriptors_is_a_local_failure_not_the_endpoints() {
    let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let region = Region::start(ip, "primary");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let endpoint = ip.to_string();
    let probers = [
        Prober::new(Arc::new(http(region.addr.port())), &endpoint),
        Prober::new(
            Arc::new(ProbeSpec::Tcp {
                port: region.addr.port(),
            }),
            &endpoint,
        ),
    ];
    for p in &probers {
        let r = rt.block_on(p.probe(TIMEOUT));
        assert!(r.ok && r.local.is_none(), "before: {}", describe(&r));
    }

    let saved = getrlimit(Resource::Nofile);
    let low = Rlimit {
        current: Some(256),
        maximum: saved.maximum,
    };
    setrlimit(Resource::Nofile, low).expect("lower RLIMIT_NOFILE");
    // The region runs in this process: its side of the probes above closes
    // a moment later and frees descriptors a probe could then take (and
    // time out on a region that cannot accept). Take those too.
    let mut held = exhaust();
    std::thread::sleep(Duration::from_millis(300));
    held.extend(exhaust());
    let dns = ProbeSpec::Dns {
        port: region.addr.port(),
        query_name: "svc.example.test.".into(),
        query_type: hickory_proto::rr::RecordType::A,
    };
    let dns = Prober::new(Arc::new(dns), &endpoint);
    let starved: Vec<ProbeResult> = probers
        .iter()
        .chain([&dns])
        .map(|p| rt.block_on(p.probe(TIMEOUT)))
        .collect();
    drop(held);
    let after: Vec<ProbeResult> = probers
        .iter()
        .map(|p| rt.block_on(p.probe(TIMEOUT)))
        .collect();
    setrlimit(Resource::Nofile, saved).expect("restore RLIMIT_NOFILE");

    for r in &starved {
        assert!(
            !r.ok,
            "a probe without descriptors cannot succeed: {}",
            describe(r)
        );
        assert!(
            matches!(r.local, Some(LocalFault::Descriptors(_))),
            "want a local failure (descriptors), got {}",
            describe(r)
        );
    }
    for r in &after {
        assert!(
            r.ok && r.local.is_none(),
            "after closing the files: {}",
            describe(r)
        );
    }
}
