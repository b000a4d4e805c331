//! Manual operations run directly against a provider.
