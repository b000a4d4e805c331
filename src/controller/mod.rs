//! The sans-IO failover state machine, one per service.
