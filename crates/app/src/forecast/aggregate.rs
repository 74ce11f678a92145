//! Forecast totals per currency and month across the organization's funds. Bounds are summed
//! fund by fund: a conservative approximation (as if the funds moved together), not a joint
//! interval.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clearway_store::forecast as store;
use clearway_store::{Actor, Tx};

use super::fund::{month_of, of_series};
use super::{series, Aggregate, AggregateFundRow, AggregateMonth, Request, SkippedFund};
use crate::AppResult;

/// The aggregate over `horizon` periods of each fund.
pub async fn aggregate(tx: &mut Tx, actor: &Actor, horizon: usize) -> AppResult<Aggregate> {
    let req = Request {
        horizon,
        model: None,
    };
    let mut months: BTreeMap<(String, NaiveDate), AggregateMonth> = BTreeMap::new();
    let mut skipped = Vec::new();
    for id in store::fund_ids_tx(tx, actor).await? {
        let s = series::load(tx, actor, &id).await?;
        let f = of_series(&s, &req)?;
        if f.points.is_empty() {
            skipped.push(SkippedFund {
                fund_id: f.fund_id.clone(),
                fund_code: f.fund_code.clone(),
                reason: f.notes.last().cloned().unwrap_or_default(),
            });
            continue;
        }
        for p in &f.points {
            let month = month_of(p.date);
            let m = months
                .entry((f.currency.code().to_string(), month))
                .or_insert(AggregateMonth {
                    currency: f.currency,
                    month,
                    total_minor: 0,
                    lower80_minor: 0,
                    upper80_minor: 0,
                    lower95_minor: 0,
                    upper95_minor: 0,
                    funds: Vec::new(),
                });
            m.total_minor += p.total_minor;
            m.lower80_minor += p.total_lower80_minor;
            m.upper80_minor += p.total_upper80_minor;
            m.lower95_minor += p.total_lower95_minor;
            m.upper95_minor += p.total_upper95_minor;
            m.funds.push(AggregateFundRow {
                fund_id: f.fund_id.clone(),
                fund_code: f.fund_code.clone(),
                date: p.date,
                total_minor: p.total_minor,
                lower80_minor: p.total_lower80_minor,
                upper80_minor: p.total_upper80_minor,
                lower95_minor: p.total_lower95_minor,
                upper95_minor: p.total_upper95_minor,
            });
        }
    }
    Ok(Aggregate {
        horizon,
        months: months.into_values().collect(),
        skipped,
    })
}
