//! A bounded Nelder–Mead minimiser for the smoothing parameters (hand-written: a few dozen
//! lines, where an optimisation crate would bring linear algebra the models do not need).
//!
//! Bounds are kept by clamping every trial point into the box (as statsforecast does). A
//! non-finite objective value counts as +∞, so an objective may refuse a point by returning
//! `f64::INFINITY` (or NaN). All buffers are allocated once per call, none per evaluation.

/// Minimises `f` from `x0` inside `[lower, upper]` (same lengths; a bound may be infinite).
/// Stops after `max_iter` iterations or when the values at the simplex's vertices are within
/// `tol` of each other. Returns the best point and its value (+∞ if no point was finite).
///
/// The first simplex steps each coordinate by a tenth of its range when both bounds are
/// finite, else by 5 % of its value (2.5e-4 at zero), towards the roomier side.
pub fn nelder_mead<F: FnMut(&[f64]) -> f64>(
    mut f: F,
    x0: &[f64],
    lower: &[f64],
    upper: &[f64],
    max_iter: usize,
    tol: f64,
) -> (Vec<f64>, f64) {
    let d = x0.len();
    let mut eval = |x: &[f64]| {
        let v = f(x);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    let mut pts = vec![0.0; (d + 1) * d];
    let mut vals = vec![0.0; d + 1];
    for i in 0..=d {
        let p = &mut pts[i * d..(i + 1) * d];
        for (j, v) in p.iter_mut().enumerate() {
            *v = x0[j].clamp(lower[j], upper[j]);
        }
        if i > 0 {
            let j = i - 1;
            p[j] = (p[j] + first_step(p[j], lower[j], upper[j])).clamp(lower[j], upper[j]);
        }
        vals[i] = eval(p);
    }
    let mut order: Vec<usize> = (0..=d).collect();
    let (mut cen, mut xr, mut xe) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let mut worst = vec![0.0; d];
    for _ in 0..max_iter {
        order.sort_by(|a, b| vals[*a].total_cmp(&vals[*b]));
        let (b, w, sw) = (order[0], order[d], order[d.saturating_sub(1)]);
        if d == 0 || (vals[w] - vals[b]).abs() <= tol {
            break;
        }
        centroid(&pts, d, w, &mut cen);
        worst.copy_from_slice(&pts[w * d..(w + 1) * d]);
        step(&cen, &worst, 1.0, lower, upper, &mut xr);
        let fr = eval(&xr);
        if fr < vals[b] {
            step(&cen, &worst, 2.0, lower, upper, &mut xe);
            let fe = eval(&xe);
            let (x, v) = if fe < fr { (&xe, fe) } else { (&xr, fr) };
            pts[w * d..(w + 1) * d].copy_from_slice(x);
            vals[w] = v;
        } else if fr < vals[sw] {
            pts[w * d..(w + 1) * d].copy_from_slice(&xr);
            vals[w] = fr;
        } else {
            // Contract: outside towards the reflection when it beat the worst, else inside.
            let (coef, bar) = if fr < vals[w] {
                (0.5, fr)
            } else {
                (-0.5, vals[w])
            };
            step(&cen, &worst, coef, lower, upper, &mut xe);
            let fc = eval(&xe);
            if fc < bar || (coef > 0.0 && fc <= bar) {
                pts[w * d..(w + 1) * d].copy_from_slice(&xe);
                vals[w] = fc;
            } else {
                shrink(&mut pts, &mut vals, d, b, &mut eval);
            }
        }
    }
    let b = (0..=d)
        .min_by(|a, c| vals[*a].total_cmp(&vals[*c]))
        .unwrap_or(0);
    (pts[b * d..(b + 1) * d].to_vec(), vals[b])
}

fn first_step(x: f64, lo: f64, hi: f64) -> f64 {
    let s = if lo.is_finite() && hi.is_finite() {
        0.1 * (hi - lo)
    } else if x != 0.0 {
        0.05 * x.abs()
    } else {
        2.5e-4
    };
    // Step away from the nearer bound so the vertex does not collapse onto x.
    if hi - x >= x - lo {
        s
    } else {
        -s
    }
}

/// The centroid of all vertices but `skip`.
fn centroid(pts: &[f64], d: usize, skip: usize, out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v = 0.0);
    for i in (0..=d).filter(|i| *i != skip) {
        for j in 0..d {
            out[j] += pts[i * d + j];
        }
    }
    out.iter_mut().for_each(|v| *v /= d as f64);
}

/// `cen + coef·(cen − worst)`, clamped into the box.
fn step(cen: &[f64], worst: &[f64], coef: f64, lo: &[f64], hi: &[f64], out: &mut [f64]) {
    for j in 0..cen.len() {
        out[j] = (cen[j] + coef * (cen[j] - worst[j])).clamp(lo[j], hi[j]);
    }
}

/// Moves every vertex halfway towards the best one.
fn shrink<F: FnMut(&[f64]) -> f64>(
    pts: &mut [f64],
    vals: &mut [f64],
    d: usize,
    best: usize,
    eval: &mut F,
) {
    for i in (0..=d).filter(|i| *i != best) {
        for j in 0..d {
            pts[i * d + j] = pts[best * d + j] + 0.5 * (pts[i * d + j] - pts[best * d + j]);
        }
        vals[i] = eval(&pts[i * d..(i + 1) * d]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_bowl() {
        let f = |x: &[f64]| (x[0] - 1.0).powi(2) + 3.0 * (x[1] + 2.0).powi(2);
        let inf = f64::INFINITY;
        let (x, fx) = nelder_mead(f, &[0.0, 0.0], &[-inf, -inf], &[inf, inf], 1000, 1e-14);
        assert!(
            (x[0] - 1.0).abs() < 1e-5 && (x[1] + 2.0).abs() < 1e-5,
            "{x:?}"
        );
        assert!(fx < 1e-9);
    }

    #[test]
    fn rosenbrock_converges() {
        let f = |x: &[f64]| 100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2);
        let (x, _) = nelder_mead(f, &[-1.2, 1.0], &[-5.0, -5.0], &[5.0, 5.0], 5000, 1e-16);
        assert!(
            (x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3,
            "{x:?}"
        );
    }

    #[test]
    fn keeps_to_the_bounds() {
        // The unconstrained minimum (-3) is outside; the answer is the lower bound.
        let f = |x: &[f64]| (x[0] + 3.0).powi(2);
        let (x, fx) = nelder_mead(f, &[0.5], &[0.0], &[1.0], 500, 1e-14);
        assert!(x[0].abs() < 1e-9, "{x:?}");
        assert!((fx - 9.0).abs() < 1e-6);
    }

    #[test]
    fn a_refused_region_is_avoided() {
        let f = |x: &[f64]| {
            if x[0] > 0.5 {
                f64::NAN
            } else {
                (x[0] - 1.0).powi(2)
            }
        };
        let (x, fx) = nelder_mead(f, &[0.1], &[0.0], &[1.0], 500, 1e-14);
        assert!(x[0] <= 0.5 && (x[0] - 0.5).abs() < 1e-3, "{x:?}");
        assert!(fx.is_finite());
    }
}
