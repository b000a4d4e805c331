//! The durable SQLite journal of decisions and provider changes.
