//! sandbox-namespaces
