//! The seasonality test (autocorrelation at the season lag against its 90 % bound) and the
//! classical multiplicative decomposition used to deseasonalise before Theta.
