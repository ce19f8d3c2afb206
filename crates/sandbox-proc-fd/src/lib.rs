//! sandbox-proc-fd
