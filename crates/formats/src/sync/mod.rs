//! Administrator sync files: outbound files of our distributions, lines and payments (the
//! inbound readers live beside them).

pub mod outbound;
