//! route53 provider for rtoguard (being built).
