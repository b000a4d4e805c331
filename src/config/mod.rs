//! The TOML config: strict parsing and validation.
