//! Builds the configured providers.
