//! Which tests live in the files a change touched (`select priority --changed FILE`): a test
//! whose own test file changed is new or edited code, and goes first.
//!
//! A test's file comes from its report: the `file` attribute where the runner writes one
//! (pytest's xunit1, jest, Gradle's and Surefire's when configured), else its `classname` read
//! as a path: a dotted module or class name (`tests.test_cart.TestCart`,
//! `com.acme.cart.CartTest$Inner`) names `tests/test_cart.py` or `.../com/acme/cart/CartTest.java`,
//! a Go package path (`github.com/acme/shop/cart`) names every `_test.go` file in the
//! package's folder, and a cargo-nextest binary id (`shop::checkout`) its integration test
//! (`tests/checkout.rs`). Paths compare by whole components, so `cart_test.py` is not `test.py`.

use std::collections::HashMap;

/// The changed paths, normalised: `/` separators, no leading `./`; indexed by their last
/// components, so that a test is compared only with the paths that can be its file (a change
/// may list a whole repository's files, a window may hold many thousand tests).
#[derive(Debug, Clone, Default)]
pub(crate) struct Changed {
    paths: Vec<String>,
    /// Path indices by file name (`n:cart_test.go`), by file name without its extension
    /// (`s:cart_test`), and by the name of their folder (`d:cart`).
    index: HashMap<String, Vec<usize>>,
}

impl Changed {
    /// From the lines of a list such as `git diff --name-only` writes (blank lines ignored).
    pub(crate) fn parse(text: &str) -> Changed {
        let paths: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(normalise)
            .collect();
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in paths.iter().enumerate() {
            let (dir, name) = p.rsplit_once('/').unwrap_or(("", p));
            let mut keys = vec![format!("n:{name}")];
            if let Some((stem, _)) = name.rsplit_once('.').filter(|(s, _)| !s.is_empty()) {
                keys.push(format!("s:{stem}"));
            }
            if !dir.is_empty() {
                keys.push(format!("d:{}", last(dir)));
            }
            for k in keys {
                index.entry(k).or_default().push(i);
            }
        }
        Changed { paths, index }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.paths.len()
    }

    /// The changed path that is the test's file, if one is (the first listed, if several).
    pub(crate) fn test_file(&self, classname: &str, file: Option<&str>) -> Option<&str> {
        let found = match file.map(normalise).filter(|f| !f.is_empty()) {
            Some(f) => self.first(&format!("n:{}", last(&f)), |p| same_file(p, &f)),
            None => {
                let candidates = Candidates::of(classname);
                candidates
                    .keys()
                    .into_iter()
                    .filter_map(|key| self.first(&key, |p| candidates.name(p)))
                    .min()
            }
        };
        found.map(|i| self.paths[i].as_str())
    }

    /// The first path under `key` that `matches`.
    fn first(&self, key: &str, matches: impl Fn(&str) -> bool) -> Option<usize> {
        self.index
            .get(key)?
            .iter()
            .copied()
            .find(|&i| matches(&self.paths[i]))
    }
}

/// The last component of a path.
fn last(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A classname read as the paths its file may have, computed once per test.
enum Candidates {
    /// A Go package path.
    Package(String),
    /// The prefixes of a dotted name as paths (`tests`, `tests/test_cart`, ...), and whether
    /// its first part looks like a test module's name.
    Dotted(Vec<String>, bool),
}

impl Candidates {
    /// The index keys of the paths they can name.
    fn keys(&self) -> Vec<String> {
        match self {
            Candidates::Package(package) => vec![format!("d:{}", last(package))],
            Candidates::Dotted(prefixes, _) => {
                prefixes.iter().map(|p| format!("s:{}", last(p))).collect()
            }
        }
    }

    fn of(classname: &str) -> Candidates {
        // cargo-nextest's binary id: `crate::binary` is the integration test tests/binary.rs
        // (or tests/binary/main.rs).
        if let Some((_, binary)) = classname.split_once("::") {
            let file = format!("tests/{binary}");
            return Candidates::Dotted(vec![format!("{file}/main"), file], true);
        }
        if classname.contains('/') {
            return Candidates::Package(classname.trim_end_matches('/').to_string());
        }
        // A nested class is in its outer class's file.
        let classname = classname.split('$').next().unwrap_or_default();
        let parts: Vec<&str> = classname.split('.').filter(|p| !p.is_empty()).collect();
        let prefixes = (1..=parts.len()).map(|k| parts[..k].join("/")).collect();
        Candidates::Dotted(prefixes, parts.first().is_some_and(|p| looks_like_test(p)))
    }

    /// Whether one of them names the changed file `path`.
    fn name(&self, path: &str) -> bool {
        match self {
            Candidates::Package(package) => {
                // Its tests are the package folder's `_test.go` files.
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
                name.ends_with("_test.go") && !dir.is_empty() && ends_with_components(package, dir)
            }
            Candidates::Dotted(prefixes, test_module) => {
                // The path without its extension: `tests/test_cart`, `.../com/acme/CartTest`.
                let Some((stem, _)) = path
                    .rsplit_once('.')
                    .filter(|(s, ext)| !ext.contains('/') && !s.is_empty() && !s.ends_with('/'))
                else {
                    return false;
                };
                // The file is a prefix of the dotted name (the rest are classes in it), which
                // ends the changed path's stem. A prefix of one part may only name the file
                // outright, or be a test module's name, so that `com` is not `src/com.c`.
                prefixes.iter().enumerate().any(|(k, candidate)| {
                    stem == candidate
                        || (ends_with_components(stem, candidate) && (k > 0 || *test_module))
                })
            }
        }
    }
}

fn normalise(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut p = path.as_str();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.to_string()
}

/// `a` ends with `b` at a component boundary (or equals it).
fn ends_with_components(a: &str, b: &str) -> bool {
    !b.is_empty()
        && a.ends_with(b)
        && (a.len() == b.len() || a.as_bytes()[a.len() - b.len() - 1] == b'/')
}

/// The same file, seen from two roots: one path ends with the other, by whole components
/// (a report may hold an absolute path, or one from a sub-project's folder).
fn same_file(changed: &str, file: &str) -> bool {
    ends_with_components(changed, file.trim_start_matches('/'))
        || ends_with_components(file, changed)
}

/// A name test runners collect by default: `test_x`, `x_test`, `XTest`, `XTests`, `XSpec`.
fn looks_like_test(name: &str) -> bool {
    name.starts_with("test_")
        || name.ends_with("_test")
        || name.ends_with("Test")
        || name.ends_with("Tests")
        || name.ends_with("Spec")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(paths: &[&str]) -> Changed {
        Changed::parse(&paths.join("\n"))
    }

    #[test]
    fn the_file_attribute_is_compared_by_whole_components() {
        let c = changed(&["./tests/test_cart.py", "web/src/cart.test.ts"]);
        assert_eq!(
            c.test_file("tests.test_cart", Some("tests/test_cart.py")),
            Some("tests/test_cart.py")
        );
        // A path from another root in the report, a path from a sub-project's folder in the report.
        assert!(
            c.test_file("x", Some("ci/checkout/tests/test_cart.py"))
                .is_some()
        );
        assert!(c.test_file("x", Some("src/cart.test.ts")).is_some());
        assert!(c.test_file("x", Some("tests/test_cart_more.py")).is_none());
        assert!(c.test_file("x", Some("other/test_cart.py")).is_none());
        assert!(c.test_file("x", Some("art.test.ts")).is_none());
    }

    #[test]
    fn a_dotted_classname_names_its_file() {
        let c = changed(&[
            "tests/test_cart.py",
            "shop/src/test/java/com/acme/cart/CartTest.java",
        ]);
        // pytest's xunit2 classname: module path, then classes.
        assert!(c.test_file("tests.test_cart", None).is_some());
        assert!(c.test_file("tests.test_cart.TestCart", None).is_some());
        assert!(c.test_file("tests.test_cartx", None).is_none());
        // Surefire's: the class, nested classes after `$`.
        assert!(c.test_file("com.acme.cart.CartTest", None).is_some());
        assert!(
            c.test_file("com.acme.cart.CartTest$WhenEmpty", None)
                .is_some()
        );
        assert!(c.test_file("com.acme.cart.CartTests", None).is_none());
        assert!(c.test_file("org.acme.cart.CartTest", None).is_none());
        // A one-part name matches a file of that name, or a test module anywhere.
        let c = changed(&["test_top.py", "pkg/test_mod.py", "src/com.c"]);
        assert!(c.test_file("test_top.TestX", None).is_some());
        assert!(c.test_file("test_mod", None).is_some());
        assert!(c.test_file("com.acme.FooTest", None).is_none());
    }

    #[test]
    fn a_nextest_binary_id_names_its_integration_test() {
        let c = changed(&["crates/shop/tests/checkout.rs", "tests/api/main.rs"]);
        assert!(c.test_file("shop::checkout", None).is_some());
        assert!(c.test_file("shop::api", None).is_some());
        assert!(c.test_file("shop::cart", None).is_none());
        // A library's unit tests (binary id `shop`) are not tied to one file.
        assert!(c.test_file("shop", None).is_none());
    }

    #[test]
    fn a_go_package_has_its_folders_test_files() {
        let c = changed(&["cart/cart_test.go"]);
        assert!(c.test_file("github.com/acme/shop/cart", None).is_some());
        assert!(c.test_file("github.com/acme/shop/cart/v2", None).is_none());
        assert!(c.test_file("github.com/acme/shop/minicart", None).is_none());
        // A non-test source file of the package is not a test file.
        let c = changed(&["cart/cart.go"]);
        assert!(c.test_file("github.com/acme/shop/cart", None).is_none());
    }

    #[test]
    fn the_first_listed_path_is_named_when_several_match() {
        let c = changed(&["b/tests/test_cart.py", "tests/test_cart.py"]);
        assert_eq!(
            c.test_file("x", Some("checkout/b/tests/test_cart.py")),
            Some("b/tests/test_cart.py")
        );
        assert_eq!(
            c.test_file("x", Some("tests/test_cart.py")),
            Some("b/tests/test_cart.py")
        );
        assert_eq!(
            c.test_file("tests.test_cart", None),
            Some("b/tests/test_cart.py")
        );
    }

    #[test]
    fn blank_lines_and_backslashes() {
        let c = Changed::parse("\n  tests\\test_a.py  \n\n");
        assert_eq!(c.len(), 1);
        assert!(c.test_file("tests.test_a", None).is_some());
        assert!(Changed::parse("\n\n").is_empty());
    }
}
