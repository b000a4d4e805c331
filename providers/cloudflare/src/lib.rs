//! cloudflare provider for rtoguard (being built).
