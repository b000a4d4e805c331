//! Tests against a webhook receiver on loopback.
