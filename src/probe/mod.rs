//! Health probes, their scheduler, and rise/fall hysteresis.
