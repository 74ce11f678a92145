//! A bounded Nelder–Mead minimiser for the smoothing parameters (hand-written: a few dozen
//! lines, where an optimisation crate would bring linear algebra the models do not need).
