//! "Did you mean …": the catalog names closest to a scope the catalog does not know.
//!
//! Scope typos are mostly one slip (a swapped pair, a plural, a missing or wrong product
//! suffix), so the measure is the optimal-string-alignment distance (Levenshtein plus
//! adjacent swaps), one less when the resource part matches, with a few near-miss rules
//! (see `score`) for slips that cost many characters but leave no doubt.

use super::catalog;

/// At most this many suggestions: more is a list, not a hint.
pub(super) const MAX_SUGGESTIONS: usize = 3;

/// Up to three catalog names close to `wanted`, closest first; empty when nothing is close.
pub(super) fn closest(wanted: &str) -> Vec<&'static str> {
    let wanted_l = wanted.to_ascii_lowercase();
    // A typo may cost about one edit per four characters; beyond that it is another word.
    let limit = (wanted_l.chars().count() / 4).max(2);
    // Ties on the score go to the plainly closer spelling.
    let mut scored: Vec<(usize, usize, &'static str)> = catalog::all()
        .iter()
        .filter_map(|s| {
            let score = score(&wanted_l, s.name);
            (score <= limit).then(|| (score, osa_distance(&wanted_l, s.name), s.name))
        })
        .collect();
    scored.sort();
    // Only the near-best: after an obvious fix, farther names are noise; after a name
    // that only lacks its product, any other name is.
    let best = scored.first().map_or(0, |(s, _, _)| *s);
    let cutoff = if best == 0 { 0 } else { best + 1 };
    scored
        .into_iter()
        .take_while(|(s, _, _)| *s <= cutoff)
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, n)| n)
        .collect()
}

/// Lower is closer. A name that only lacks the product (`read:issue` for `read:issue:jira`)
/// is as good as exact (0). Two near misses count as one edit whatever their length: the
/// right verb and resource with the wrong product (`read:sprint:jira`), and a resource named
/// by one of its words (`read:worklog:jira` for `read:issue-worklog:jira`). A name without a
/// product is otherwise measured with the product added (`read:comments`, `read:comment:jira`).
fn score(wanted: &str, candidate: &'static str) -> usize {
    if candidate
        .strip_prefix(wanted)
        .is_some_and(|rest| rest.starts_with(':') && !rest[1..].contains(':'))
    {
        return 0;
    }
    let (w, c) = (parts(wanted), parts(candidate));
    if w.0 == c.0 && w.1 == c.1 && w.2.is_some() && c.2.is_some() {
        return 1;
    }
    // Words of the resource itself, not of its parent: `worklog` names `issue-worklog`,
    // `vote` names `issue.vote`, but `worklog` does not name `issue-worklog.property`.
    let own_words = |r: &'static str| r.rsplit('.').next().unwrap_or(r).split('-');
    if w.0 == c.0
        && (w.2.is_none() || w.2 == c.2)
        && w.1 != c.1
        && own_words(c.1).any(|word| word == w.1)
    {
        return 1;
    }
    // A name without its product is compared as if it had the candidate's.
    if w.2.is_none()
        && let Some(product) = c.2
    {
        let completed = format!("{wanted}:{product}");
        let d = osa_distance(&completed, candidate) + 1;
        if d < osa_distance(wanted, candidate) {
            return d;
        }
    }
    let d = osa_distance(wanted, candidate);
    if d > 0 && !w.1.is_empty() && w.1 == c.1 {
        d - 1
    } else {
        d
    }
}

/// `(verb, resource, product)`: `("read", "issue-worklog", Some("jira"))` for
/// `read:issue-worklog:jira`, `("read", "jira-work", None)` for `read:jira-work`.
fn parts(name: &str) -> (&str, &str, Option<&str>) {
    let mut it = name.splitn(3, ':');
    let verb = it.next().unwrap_or("");
    let resource = it.next().unwrap_or("");
    (verb, resource, it.next())
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two adjacent
/// characters as one edit each (the "restricted" Damerau–Levenshtein distance).
pub(super) fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows are enough: a swap looks back two rows.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_swaps_as_one_edit() {
        assert_eq!(osa_distance("", ""), 0);
        assert_eq!(osa_distance("abc", ""), 3);
        assert_eq!(osa_distance("", "ab"), 2);
        assert_eq!(osa_distance("work", "wrok"), 1);
        assert_eq!(osa_distance("kitten", "sitting"), 3);
        assert_eq!(osa_distance("issues", "issue"), 1);
        assert_eq!(osa_distance("ca", "abc"), 3);
    }

    #[test]
    fn typical_typos_find_their_scope_first() {
        let cases = [
            ("read:jira-wrok", "read:jira-work"),
            ("read:issues:jira", "read:issue:jira"),
            ("read:issue", "read:issue:jira"),
            ("wirte:comment:jira", "write:comment:jira"),
            ("read:sprints:jira-software", "read:sprint:jira-software"),
            ("read:sprint:jira", "read:sprint:jira-software"),
            ("manage:jira-projects", "manage:jira-project"),
            ("read:worklog:jira", "read:issue-worklog:jira"),
            ("offline-access", "offline_access"),
            ("read:jira-users", "read:jira-user"),
            ("read:comments", "read:comment:jira"),
            ("read:vote:jira", "read:issue.vote:jira"),
            ("write:jira", "write:jira-work"),
            ("write:worklog", "write:issue-worklog:jira"),
            ("read:work", "read:jira-work"),
        ];
        for (typo, want) in cases {
            let got = closest(typo);
            assert_eq!(got.first(), Some(&want), "{typo} → {got:?}");
            assert!(got.len() <= MAX_SUGGESTIONS);
        }
    }

    #[test]
    fn a_parent_resource_does_not_name_its_properties() {
        let got = closest("delete:worklog:jira");
        assert_eq!(got.first(), Some(&"delete:issue-worklog:jira"));
        assert!(
            !got.contains(&"delete:issue-worklog.property:jira"),
            "{got:?}"
        );
    }

    #[test]
    fn nothing_close_means_no_suggestion() {
        assert!(closest("frobnicate:everything").is_empty());
        assert!(closest("read:confluence-content.all").is_empty());
    }
}
