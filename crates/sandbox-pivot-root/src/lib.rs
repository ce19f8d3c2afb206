//! sandbox-pivot-root
