//! Administrator sync: the REST connector's state and outbound files (the inbound side
//! lives beside them).

pub mod connector;
pub mod exports;
