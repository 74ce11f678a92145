//! ISO 20022 XML messages we write (pain.001 credit-transfer initiation, and [`wires`]: the
//! pain.001 of a distribution's wires) and the bank's answer we read ([`pain002`] status
//! reports).
//!
//! The camt.052/053/054 statement readers live with the other statement readers in
//! [`crate::statements::camt053`]; both share the namespace-agnostic element tree in `xml`.

pub mod pain001;
pub mod pain002;
pub mod wires;
pub(crate) mod xml;
