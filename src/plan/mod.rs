//! Plans: desired state turned into checked provider changes.
