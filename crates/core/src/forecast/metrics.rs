//! Accuracy of a forecast against what happened: MAPE, sMAPE (the M3 definition, 0–200) and
//! MASE (scaled by the in-sample seasonal naive error). A measure that is undefined for the
//! data (MAPE with a zero actual, MASE of a constant training series) is `None` with the reason.

use serde::Serialize;

/// The scores of one forecast, in percent for MAPE and sMAPE.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Scores {
    pub mape: Option<f64>,
    pub smape: Option<f64>,
    pub mase: Option<f64>,
    /// Why a score is missing, one sentence each.
    pub notes: Vec<String>,
}

/// The absolute percentage error of one point, in percent; undefined when the actual is zero.
pub fn point_ape(actual: f64, predicted: f64) -> Option<f64> {
    (actual != 0.0).then(|| 100.0 * (actual - predicted).abs() / actual.abs())
}

/// The symmetric absolute percentage error of one point, in percent (0–200); undefined when
/// both are zero.
pub fn point_sape(actual: f64, predicted: f64) -> Option<f64> {
    let d = actual.abs() + predicted.abs();
    (d > 0.0).then(|| 200.0 * (actual - predicted).abs() / d)
}

/// Scores `predicted` against `actual` (same length), MASE scaled by the mean absolute
/// seasonal difference of `train` at lag `season` (lag 1 when the series is shorter).
pub fn score(train: &[f64], actual: &[f64], predicted: &[f64], season: usize) -> Scores {
    let n = actual.len().min(predicted.len());
    let mut s = Scores::default();
    if n == 0 {
        s.notes.push("no points to score".into());
        return s;
    }
    if actual[..n].contains(&0.0) {
        s.notes
            .push("MAPE is undefined: an actual value is zero".into());
    } else {
        let sum: f64 = (0..n)
            .filter_map(|i| point_ape(actual[i], predicted[i]))
            .sum();
        s.mape = Some(sum / n as f64);
    }
    // Both zero is a perfect point: it counts as 0 in the mean.
    let sum: f64 = (0..n)
        .map(|i| point_sape(actual[i], predicted[i]).unwrap_or(0.0))
        .sum();
    s.smape = Some(sum / n as f64);
    let lag = if season > 1 && train.len() > season {
        season
    } else {
        1
    };
    if train.len() > lag {
        let scale: f64 = (lag..train.len())
            .map(|i| (train[i] - train[i - lag]).abs())
            .sum::<f64>()
            / (train.len() - lag) as f64;
        if scale > 0.0 {
            let mae: f64 = (0..n)
                .map(|i| (actual[i] - predicted[i]).abs())
                .sum::<f64>()
                / n as f64;
            s.mase = Some(mae / scale);
        } else {
            s.notes
                .push("MASE is undefined: the history does not vary".into());
        }
    } else {
        s.notes
            .push("MASE is undefined: the history has one point".into());
    }
    s
}
