//! The command line: argument parsing and dispatch.
