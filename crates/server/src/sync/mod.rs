//! Fund-administrator sync over HTTP: the REST connector and outbound files (the inbound side
//! lives beside them).

pub mod connector;
