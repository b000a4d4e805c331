//! moto's server (the Route 53 API) on a loopback port (being built).
