//! The Grafana dashboard queries only registered metrics.
