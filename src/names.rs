//! Names in messages: the closest known name to a misspelt one, and a bounded list of
//! the names a field accepts. A leaf: every layer's errors use it.

/// ", did you mean 'x'?" for the closest candidate by edit distance (case-insensitive),
/// or "" when nothing is close.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let lower = name.to_lowercase();
    let best = candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    match best {
        Some((d, c)) if d <= (name.chars().count() / 3).max(2) => format!(", did you mean '{c}'?"),
        _ => String::new(),
    }
}

/// Joins up to 30 names for a message, then "… (N more)".
pub fn list_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let all: Vec<&str> = names.into_iter().collect();
    if all.is_empty() {
        return "(none)".into();
    }
    let shown = all.iter().take(30).copied().collect::<Vec<_>>().join(", ");
    if all.len() > 30 {
        format!("{shown} … ({} more)", all.len() - 30)
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            suggest("pirce", ["price", "volume"]),
            ", did you mean 'price'?"
        );
        assert_eq!(
            suggest("tvlusd", ["tvlUSD", "price"]),
            ", did you mean 'tvlUSD'?"
        );
        assert_eq!(suggest("zzzzzz", ["price", "volume"]), "");
    }
}
