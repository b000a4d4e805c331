//! unbound as a caching resolver on a loopback port (being built).
