//! sandbox-mount
