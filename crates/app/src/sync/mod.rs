//! Fund-administrator sync: the REST connector and the outbound files (the inbound side lives
//! beside them).

pub mod connector;
pub mod exports;
