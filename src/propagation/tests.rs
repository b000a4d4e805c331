//! Tests of the watch against real BIND and unbound on loopback.
