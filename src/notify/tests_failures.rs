//! Tests of failing webhooks: bounded retries, final answers, hangs, bad URLs.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::tests::{Mode, Receiver, SECRET, capture_logs, flip, start, text, webhook};
use super::*;
use crate::config::{WebhookFormat, WebhookUrl};

#[tokio::test]
async fn a_failing_webhook_is_retried_a_bounded_number_of_times() {
    let (logs, _guard) = capture_logs();
    let rx = Receiver::start(Mode::Fail).await;
    let (n, _task, _cancel) = start(vec![webhook(&rx.url, WebhookFormat::Json, 2)], QUEUE_LEN);
    n.send(flip("first"));
    rx.wait_for(3).await;
    // The next event is sent only after the first was given up: its request
    // is the fourth, so the first had exactly 1 + 2 attempts.
    rx.set(Mode::Ok);
    n.send(flip("second"));
    let hits = rx.wait_for(4).await;
    let ids: Vec<_> = hits
        .iter()
        .map(|h| h.body["incident"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, ["first", "first", "first", "second"]);
    let log = text(&logs);
    assert!(
        log.contains("Notification dropped") && log.contains("answered HTTP 500"),
        "{log}"
    );
    let host = rx
        .url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(log.contains(&host), "the host is logged:\n{log}");
    assert!(
        !log.contains(SECRET),
        "the URL leaked into the logs:\n{log}"
    );
}

#[tokio::test]
async fn a_refusing_webhook_is_not_retried() {
    let rx = Receiver::start(Mode::NotFound).await;
    let (n, _task, _cancel) = start(vec![webhook(&rx.url, WebhookFormat::Json, 3)], QUEUE_LEN);
    n.send(flip("first"));
    rx.wait_for(1).await;
    rx.set(Mode::Ok);
    n.send(flip("second"));
    let ids: Vec<_> = rx
        .wait_for(2)
        .await
        .iter()
        .map(|h| h.body["incident"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(ids, ["first", "second"], "a 404 is final");
}

#[tokio::test]
async fn a_hanging_webhook_never_holds_up_send() {
    let (logs, _guard) = capture_logs();
    let rx = Receiver::start(Mode::Hang).await;
    let (n, task, cancel) = start(vec![webhook(&rx.url, WebhookFormat::Json, 1)], 2);
    // `send` is not async: it cannot wait. Far more events than the queue
    // holds all return while the receiver hangs on the first request.
    for i in 0..20 {
        n.send(flip(&format!("event-{i}")));
    }
    rx.wait_for(1).await;
    let log = text(&logs);
    assert!(log.contains("Notification queue full"), "{log}");
    // The hung request times out and is retried once, then dropped.
    let hits = rx.wait_for(3).await;
    let ids: Vec<_> = hits
        .iter()
        .take(3)
        .map(|h| h.body["incident"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(ids[..2], ["event-0", "event-0"]);
    assert_ne!(ids[2], "event-0", "the first event had 1 + 1 attempts");
    let log = text(&logs);
    assert!(log.contains("timed out") && !log.contains(SECRET), "{log}");
    cancel.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(20), task).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "the workers stop when cancelled"
    );
}

#[tokio::test]
async fn workers_drain_and_stop_when_the_notifier_is_dropped() {
    let rx = Receiver::start(Mode::Ok).await;
    let (n, task, _cancel) = start(vec![webhook(&rx.url, WebhookFormat::Json, 0)], QUEUE_LEN);
    n.send(flip("last"));
    drop(n);
    let stopped = tokio::time::timeout(Duration::from_secs(20), task).await;
    assert!(matches!(stopped, Ok(Ok(()))));
    assert_eq!(
        rx.hits().len(),
        1,
        "the queued event was sent before stopping"
    );
}

#[tokio::test]
async fn an_unusable_url_is_refused_without_showing_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("hook");
    std::fs::write(&file, format!("ftp://hooks.example.net/{SECRET}\n")).expect("write");
    let mut hook = webhook("unused", WebhookFormat::Slack, 3);
    hook.url = WebhookUrl::Source(crate::config::SecretSource::File(file.clone()));
    let cfg = Notify {
        webhooks: vec![hook.clone()],
    };
    let err =
        Notifier::start(&cfg, "us-east-1", CancellationToken::new()).expect_err("ftp is refused");
    let msg = err.to_string();
    assert!(
        msg.contains("notify.webhooks[0]") && msg.contains(&file.display().to_string()),
        "{msg}"
    );
    assert!(
        !msg.contains(SECRET) && !format!("{err:?}").contains(SECRET),
        "{msg}"
    );
    hook.url = WebhookUrl::Source(crate::config::SecretSource::File(
        dir.path().join("missing"),
    ));
    let err = Notifier::start(
        &Notify {
            webhooks: vec![hook],
        },
        "us-east-1",
        CancellationToken::new(),
    )
    .expect_err("missing file");
    assert!(matches!(err, NotifyError::Url { index: 0, .. }), "{err}");
    let (none, _task) = Notifier::start(&Notify::default(), "us-east-1", CancellationToken::new())
        .expect("no webhooks");
    none.send(flip("nobody"));
    assert_eq!(none.webhooks(), 0);
}

#[tokio::test]
async fn a_refused_connection_is_logged_by_host_only() {
    let (logs, _guard) = capture_logs();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let url = format!("http://{closed}/services/T000/B000/{SECRET}");
    let (n, task, _cancel) = start(vec![webhook(&url, WebhookFormat::Json, 1)], QUEUE_LEN);
    n.send(flip("refused"));
    drop(n);
    let stopped = tokio::time::timeout(Duration::from_secs(20), task).await;
    assert!(matches!(stopped, Ok(Ok(()))));
    let log = text(&logs);
    assert!(
        log.contains("Notification dropped")
            && log.contains("transport error")
            && log.contains(&closed.to_string()),
        "{log}"
    );
    assert!(
        !log.contains(SECRET),
        "the URL leaked into the logs:\n{log}"
    );
}

#[tokio::test]
async fn a_throttled_webhook_is_retried_until_it_takes_the_event() {
    let (logs, _guard) = capture_logs();
    let rx = Receiver::start(Mode::Throttle).await;
    let (n, _task, _cancel) = start(vec![webhook(&rx.url, WebhookFormat::Json, 3)], QUEUE_LEN);
    n.send(flip("first"));
    // The retry waits the second the 429 asked for: time to change the answer.
    rx.wait_for(1).await;
    rx.set(Mode::Ok);
    n.send(flip("second"));
    let hits = rx.wait_for_incident("second").await;
    let ids: Vec<_> = hits
        .iter()
        .map(|h| h.body["incident"].as_str().unwrap_or_default())
        .collect();
    let (last, firsts) = ids.split_last().expect("hits");
    assert!(
        *last == "second" && firsts.len() == 2 && firsts.iter().all(|i| *i == "first"),
        "{ids:?}"
    );
    let log = text(&logs);
    assert!(
        log.contains("answered HTTP 429") && !log.contains("Notification dropped"),
        "{log}"
    );
}
