//! A bank statement credit clearing an expected recovery.
