//! A sweep's aggregates over its runs' parameters: net APY per value of each swept
//! parameter (the mean over the other parameters' values) and, for the first two, the
//! mean per pair of values. Values are ordered as first seen; the bootstrap's sample
//! index is not a parameter here.

/// A run's swept parameters (path, value) and its net APY.
pub type Point = (Vec<(String, String)>, f64);

/// The mean APY per value of one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamMeans {
    pub name: String,
    pub values: Vec<String>,
    pub means: Vec<f64>,
}

/// The mean APY per pair of values of two parameters: `(i, j, mean)` for each pair
/// some run has (`xs[i]`, `ys[j]`).
#[derive(Debug, Clone, PartialEq)]
pub struct GridMeans {
    pub x: String,
    pub y: String,
    pub xs: Vec<String>,
    pub ys: Vec<String>,
    pub cells: Vec<(usize, usize, f64)>,
}

/// The swept parameters, in first-seen order.
pub fn names(points: &[Point]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (ps, _) in points {
        for (p, _) in ps {
            if p != "bootstrap" && !names.contains(p) {
                names.push(p.clone());
            }
        }
    }
    names
}

/// The values of parameter `name`, in first-seen order.
pub fn values(points: &[Point], name: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for (ps, _) in points {
        if let Some((_, x)) = ps.iter().find(|p| p.0 == name) {
            if !v.contains(x) {
                v.push(x.clone());
            }
        }
    }
    v
}

fn value<'a>(ps: &'a [(String, String)], name: &str) -> Option<&'a str> {
    ps.iter().find(|p| p.0 == name).map(|p| p.1.as_str())
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, sum) = v.fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    (n > 0).then(|| sum / n as f64)
}

/// Per swept parameter with at least two values, the mean APY at each value.
pub fn means_by_param(points: &[Point]) -> Vec<ParamMeans> {
    names(points)
        .into_iter()
        .filter_map(|name| {
            let values = values(points, &name);
            if values.len() < 2 {
                return None;
            }
            let means = values
                .iter()
                .map(|x| {
                    mean(
                        points
                            .iter()
                            .filter(|(ps, _)| value(ps, &name) == Some(x))
                            .map(|p| p.1),
                    )
                    .unwrap_or(0.0)
                })
                .collect();
            Some(ParamMeans {
                name,
                values,
                means,
            })
        })
        .collect()
}

/// The mean APY over the first two swept parameters' pairs of values, where each has
/// at least two values.
pub fn means_over_first_two(points: &[Point]) -> Option<GridMeans> {
    let names = names(points);
    let (x, y) = (names.first()?.clone(), names.get(1)?.clone());
    let (xs, ys) = (values(points, &x), values(points, &y));
    if xs.len() < 2 || ys.len() < 2 {
        return None;
    }
    let mut cells = Vec::new();
    for (i, vx) in xs.iter().enumerate() {
        for (j, vy) in ys.iter().enumerate() {
            let m = mean(
                points
                    .iter()
                    .filter(|(ps, _)| value(ps, &x) == Some(vx) && value(ps, &y) == Some(vy))
                    .map(|p| p.1),
            );
            if let Some(m) = m {
                cells.push((i, j, m));
            }
        }
    }
    Some(GridMeans {
        x,
        y,
        xs,
        ys,
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &str, b: &str, apy: f64) -> Point {
        (vec![("a".into(), a.into()), ("b".into(), b.into())], apy)
    }

    #[test]
    fn means_over_the_other_parameter() {
        let pts = [p("1", "x", 0.1), p("1", "y", 0.3), p("2", "x", 0.5)];
        let m = means_by_param(&pts);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].values, ["1", "2"]);
        assert!((m[0].means[0] - 0.2).abs() < 1e-12);
        assert!((m[0].means[1] - 0.5).abs() < 1e-12);
        let g = means_over_first_two(&pts).expect("two parameters");
        // The pair (2, y) has no run: no cell.
        assert_eq!(g.cells.len(), 3);
        assert!(g.cells.iter().all(|c| (c.0, c.1) != (1, 1)));
    }

    #[test]
    fn a_single_value_is_not_a_line() {
        let pts = [p("1", "x", 0.1), p("1", "y", 0.3)];
        let m = means_by_param(&pts);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].name, "b");
        assert!(means_over_first_two(&pts).is_none());
    }
}
