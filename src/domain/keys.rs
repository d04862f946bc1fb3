//! The 64-bit keys the store joins on: a test's (from everything that names it), a run's (its
//! run key and variant) and a report's (its run and position).

/// The key of a test: a hash of everything that names it. Two rows with the same suite,
/// classname, name, file and line share one row of the tests table. Each part is hashed with
/// the hash of the parts before it as the seed (xxh3-64 takes the length of what it hashes into
/// account, so parts cannot run together), and the parts a report's consecutive tests share
/// (suite, classname, file) come first, so that [`TestKeys`] hashes them once per run of equal
/// ones rather than once per test.
#[cfg(test)]
pub(crate) fn test_key(
    suite: &str,
    classname: &str,
    name: &str,
    file: &str,
    line: Option<u32>,
) -> u64 {
    name_key(scope_key(suite, classname, file), name, line)
}

fn scope_key(suite: &str, classname: &str, file: &str) -> u64 {
    use xxhash_rust::xxh3::xxh3_64_with_seed as h;
    h(
        file.as_bytes(),
        h(classname.as_bytes(), h(suite.as_bytes(), 0)),
    )
}

/// The same string in memory (or both empty).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || std::ptr::eq(a.as_ptr(), b.as_ptr()))
}

fn name_key(scope: u64, name: &str, line: Option<u32>) -> u64 {
    use xxhash_rust::xxh3::xxh3_64_with_seed as h;
    let seed = line.map_or(scope, |line| h(&line.to_le_bytes(), scope));
    h(name.as_bytes(), seed)
}

/// The hash of some key parts, kept while the next parts asked for are the same strings in
/// memory (the parser gives consecutive cases of a class one copy of its name): comparing
/// contents would read every name once more, from memory long out of the core's cache.
#[derive(Default)]
pub(crate) struct LastHash<'a, const N: usize> {
    last: Option<([&'a str; N], u64)>,
}

impl<'a, const N: usize> LastHash<'a, N> {
    /// The hash of `parts`, computed with `hash` unless the last parts were the same.
    pub(crate) fn get(
        &mut self,
        parts: [&'a str; N],
        hash: impl FnOnce(&[&'a str; N]) -> u64,
    ) -> u64 {
        match &self.last {
            Some((last, h)) if last.iter().zip(&parts).all(|(a, b)| same(a, b)) => *h,
            _ => {
                let h = hash(&parts);
                self.last = Some((parts, h));
                h
            }
        }
    }
}

/// [`test_key`] for a sequence of tests, reusing the hash of the suite, classname and file
/// while they stay the same from one test to the next.
#[derive(Default)]
pub(crate) struct TestKeys<'a> {
    scopes: LastHash<'a, 3>,
}

impl<'a> TestKeys<'a> {
    pub(crate) fn key(
        &mut self,
        suite: &'a str,
        classname: &'a str,
        name: &str,
        file: &'a str,
        line: Option<u32>,
    ) -> u64 {
        let scope = self
            .scopes
            .get([suite, classname, file], |&[s, c, f]| scope_key(s, c, f));
        name_key(scope, name, line)
    }
}

/// The key of a run: a hash of its run key and variant.
pub(crate) fn run_key(run: &str, variant: &str) -> u64 {
    let mut scratch = Vec::new();
    for part in [run, variant] {
        scratch.extend_from_slice(&(part.len() as u64).to_le_bytes());
        scratch.extend_from_slice(part.as_bytes());
    }
    xxhash_rust::xxh3::xxh3_64(&scratch)
}

/// The key of a report: a hash of its run's key and its position among the run's reports.
pub(crate) fn report_key(run_key: u64, position: u32) -> u64 {
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(&run_key.to_le_bytes());
    bytes[8..].copy_from_slice(&position.to_le_bytes());
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_do_not_run_fields_together() {
        // A character moved across each boundary between two parts gives another key.
        let key = |s, c, n, f| test_key(s, c, n, f, None);
        assert_ne!(key("ab", "c", "n", "f"), key("a", "bc", "n", "f"));
        assert_ne!(key("s", "ab", "c", "f"), key("s", "a", "bc", "f"));
        assert_ne!(key("s", "c", "nf", ""), key("s", "c", "n", "f"));
        assert_ne!(key("s", "cf", "n", ""), key("s", "c", "n", "f"));
        assert_ne!(key("", "s", "n", ""), key("s", "", "n", ""));
        assert_ne!(
            test_key("s", "a", "b", "", Some(0)),
            test_key("s", "a", "b", "", None)
        );
        assert_ne!(
            test_key("s", "a", "b", "", Some(1)),
            test_key("s", "a", "b", "", Some(2))
        );
        assert_eq!(key("s", "ab", "c", ""), key("s", "ab", "c", ""));
        assert_ne!(run_key("1", "linux"), run_key("1l", "inux"));
        assert_ne!(report_key(7, 0), report_key(7, 1));
    }

    #[test]
    fn keys_of_a_sequence_are_the_keys_of_each_test() {
        let tests = [
            ("s", "A", "t1", "a.py", Some(3)),
            ("s", "A", "t2", "a.py", Some(9)),
            ("s", "A", "t2", "a.py", None),
            ("s", "B", "t1", "a.py", Some(3)),
            ("s", "B", "t1", "b.py", Some(3)),
            ("s2", "B", "t1", "b.py", Some(3)),
            ("s", "A", "t1", "a.py", Some(3)),
        ];
        let mut keys = TestKeys::default();
        let got: Vec<u64> = tests
            .iter()
            .map(|&(s, c, n, f, l)| keys.key(s, c, n, f, l))
            .collect();
        let want: Vec<u64> = tests
            .iter()
            .map(|&(s, c, n, f, l)| test_key(s, c, n, f, l))
            .collect();
        assert_eq!(got, want);
        assert_eq!(got[0], got[6]);
        let distinct: std::collections::HashSet<_> = got[..6].iter().collect();
        assert_eq!(distinct.len(), 6);
    }
}
