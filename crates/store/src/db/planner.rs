//! PostgreSQL planner hints: one plan method switched off around the statement that needs it.
//!
//! Used where the planner, without statistics on rows just written, picks a plan many times
//! slower than the obvious one. SQLite has no such settings; there a hint does nothing.

use super::{q, Backend, Tx};
use crate::StoreError;

/// A plan method PostgreSQL can be told not to use.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Method {
    /// Explicit sorts (`enable_sort`).
    Sort,
    /// Nested-loop joins (`enable_nestloop`).
    NestLoop,
}

impl Method {
    fn off(self) -> &'static str {
        match self {
            Method::Sort => "SET LOCAL enable_sort = off",
            Method::NestLoop => "SET LOCAL enable_nestloop = off",
        }
    }

    fn restore(self) -> &'static str {
        match self {
            Method::Sort => "SET LOCAL enable_sort TO DEFAULT",
            Method::NestLoop => "SET LOCAL enable_nestloop TO DEFAULT",
        }
    }
}

/// A method switched off for the rest of the transaction, until [`Hint::restore`].
#[must_use = "restore the method after the statement the hint is for"]
pub(crate) struct Hint(Option<Method>);

impl Hint {
    /// Switches `method` off (`SET LOCAL`, so at most until the transaction ends) on
    /// PostgreSQL; does nothing on SQLite.
    pub(crate) async fn off(tx: &mut Tx, method: Method) -> Result<Hint, StoreError> {
        if tx.backend() != Backend::Postgres {
            return Ok(Hint(None));
        }
        tx.execute(q(method.off())).await?;
        Ok(Hint(Some(method)))
    }

    /// Puts the method back to the server's default, so later statements plan freely.
    pub(crate) async fn restore(self, tx: &mut Tx) -> Result<(), StoreError> {
        if let Some(method) = self.0 {
            tx.execute(q(method.restore())).await?;
        }
        Ok(())
    }
}
