//! Propagation timing: authoritatives, resolvers and clients after a change.
