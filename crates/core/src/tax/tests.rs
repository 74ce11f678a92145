//! Unit and property tests of the tax rules.
