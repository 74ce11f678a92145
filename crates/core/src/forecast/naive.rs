//! Naive (the last value) and seasonal naive (the value one season before).

use super::{ForecastError, Point};

/// The last value, repeated.
pub fn naive(y: &[f64], h: usize) -> Result<Point, ForecastError> {
    let last = *y.last().ok_or(ForecastError::Empty)?;
    Ok(Point {
        mean: vec![last; h],
        label: "naive".into(),
    })
}

/// The value one season before each step; naive when the series is shorter than a season.
pub fn seasonal_naive(y: &[f64], season: usize, h: usize) -> Result<Point, ForecastError> {
    if season <= 1 || y.len() < season {
        return naive(y, h);
    }
    let tail = &y[y.len() - season..];
    let mean = (0..h).map(|i| tail[i % season]).collect();
    Ok(Point {
        mean,
        label: format!("seasonal naive (m={season})"),
    })
}
