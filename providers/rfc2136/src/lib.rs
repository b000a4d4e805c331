//! rfc2136 provider for rtoguard (being built).
