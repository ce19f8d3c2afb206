//! sandbox-process
