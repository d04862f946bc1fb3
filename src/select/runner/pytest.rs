//! pytest: node ids (`path/to/test_x.py::Class::test[param]`) rebuilt from what
//! `--junitxml` wrote, as an argument file of `--testsift-deselect=NODEID` lines (`pytest @FILE`,
//! pytest 8.2 and later) or, with `--shell`, as quoted arguments.
//!
//! pytest's own `--deselect` matches node id *prefixes*: `--deselect=t.py::test_x` also drops
//! `test_x2`, `test_x_other` and every `test_x[...]`, and `t.py::test_p[a]` drops `test_p[a]b]`.
//! No argument pytest has compares node ids exactly, so [`OPTION`] is added by the small
//! conftest.py in docs/select.md, which deselects the items whose node id equals one given;
//! without it pytest refuses the unknown option rather than skipping more than was listed.
//!
//! pytest writes `classname` as the node id's path with `/` turned into `.` and `.py`
//! dropped, then its classes, joined by `.`; `name` is the function with its parameter id.
//! The `file` attribute (junit_family=xunit1) says where the path ends; without it (xunit2,
//! the default) the longest dotted prefix naming an existing `.py` file under the root decides.

use super::{Context, Emitted, Target, show};
use crate::report::escape::is_unsafe_char;
use std::path::Path;

/// The option the arguments use. The conftest.py in docs/select.md adds it to pytest (the same
/// file as tests/runners/pytest/conftest.py, which the real-runner test uses).
pub(crate) const OPTION: &str = "--testsift-deselect";

/// The node id of `t`; a warning when its file had to be guessed; `Err` with the reason when
/// none can be written.
pub(crate) fn node_id(t: &Target, root: &Path) -> Result<(String, Option<String>), String> {
    if t.name.contains(['\n', '\r']) || t.classname.contains(['\n', '\r']) {
        return Err("has a line break, which pytest never writes into a node id".into());
    }
    // pytest escapes control characters and non-ASCII in parameter ids (`\x1b`), so a raw one
    // comes from a report no pytest wrote, and an argument file line cannot escape it.
    let file = t.file.as_deref().unwrap_or_default();
    if [t.name.as_str(), t.classname.as_str(), file]
        .iter()
        .any(|s| s.chars().any(is_unsafe_char))
    {
        return Err("has a control character, which pytest never writes into a node id".into());
    }
    let join = |file: &str, classes: &[&str]| {
        let mut id = file.to_string();
        for c in classes {
            id.push_str("::");
            id.push_str(c);
        }
        id.push_str("::");
        id.push_str(&t.name);
        id
    };
    let parts: Vec<&str> = if t.classname.is_empty() {
        Vec::new()
    } else {
        t.classname.split('.').collect()
    };
    if let Some(file) = t.file.as_deref().filter(|f| f.ends_with(".py")) {
        let module = file.trim_end_matches(".py").replace(['/', '\\'], ".");
        let module_parts = module.split('.').count();
        if t.classname == module {
            return Ok((join(file, &[]), None));
        }
        if t.classname.starts_with(&format!("{module}.")) {
            return Ok((join(file, &parts[module_parts..]), None));
        }
    }
    if parts.is_empty() {
        return Err("has neither a classname nor a file attribute".into());
    }
    for end in (1..=parts.len()).rev() {
        let found = files_named(&parts[..end], root);
        match found.as_slice() {
            [] => {}
            [file] => return Ok((join(file, &parts[end..]), None)),
            [a, b, ..] => {
                return Err(format!(
                    "its classname names both {a} and {b} under {} (a folder with a dot in its \
                     name), and a report without a file attribute does not say which",
                    root.display()
                ));
            }
        }
    }
    // pytest's default python_files are test_*.py and *_test.py.
    let guess = parts
        .iter()
        .rposition(|p| p.starts_with("test_") || p.ends_with("_test"));
    match guess {
        Some(end) => {
            let file = format!("{}.py", parts[..=end].join("/"));
            let warning = format!(
                "{}: no {file} under {}; guessed it from the name (pass --root)",
                show(&t.test_id),
                root.display()
            );
            Ok((join(&file, &parts[end + 1..]), Some(warning)))
        }
        None => Err(format!(
            "no part of its classname names a .py file under {} (pass --root)",
            root.display()
        )),
    }
}

/// The `.py` files under `root` that dotted module `parts` can be: pytest writes a folder's
/// dots as they are (`tests/my.pkg/test_d.py` and `tests/my/pkg/test_d.py` are both
/// `tests.my.pkg.test_d`), so each dot between two parts may be a `/` or a `.`; at most 2^10
/// spellings are tried, past that only slashes.
fn files_named(parts: &[&str], root: &Path) -> Vec<String> {
    let gaps = parts.len().saturating_sub(1);
    let spellings: u32 = if gaps <= 10 { 1 << gaps } else { 1 };
    let mut found = Vec::new();
    for mask in 0..spellings {
        let mut file = String::from(parts[0]);
        for (k, part) in parts[1..].iter().enumerate() {
            file.push(if mask & (1 << k) == 0 { '/' } else { '.' });
            file.push_str(part);
        }
        file.push_str(".py");
        if root.join(&file).is_file() {
            found.push(file);
        }
    }
    found
}

pub(crate) fn deselect(targets: &[Target], ctx: &Context) -> Emitted {
    let mut out = Emitted::default();
    let mut args = Vec::new();
    for t in targets {
        match node_id(t, &ctx.root) {
            Ok((id, warning)) => {
                out.warnings.extend(warning);
                args.push(format!("{OPTION}={id}"));
            }
            Err(why) => {
                out.left_out += 1;
                out.warnings
                    .push(format!("{}: {why}; left out", show(&t.test_id)));
            }
        }
    }
    for a in &args {
        out.text.push_str(a);
        out.text.push('\n');
    }
    out.args = Some(args);
    out
}

/// An order for the conftest.py's `--testsift-order FILE`: node ids one per line, first to
/// run first (`select priority --runner pytest --out FILE`). A file only: the option takes
/// its path.
pub(crate) fn order(targets: &[Target], ctx: &Context) -> Emitted {
    let mut out = Emitted::default();
    for t in targets {
        match node_id(t, &ctx.root) {
            Ok((id, warning)) => {
                out.warnings.extend(warning);
                out.text.push_str(&id);
                out.text.push('\n');
            }
            Err(why) => {
                out.left_out += 1;
                out.warnings.push(format!(
                    "{}: {why}; left out (it runs where the order puts unlisted tests: first)",
                    show(&t.test_id)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::super::hostile::{names, through_sh};
    use super::super::shell_line;
    use super::*;

    fn target(classname: &str, name: &str, file: Option<&str>) -> Target {
        Target {
            test_id: format!("{classname}::{name}"),
            classname: classname.into(),
            name: name.into(),
            file: file.map(str::to_string),
            ..Target::default()
        }
    }

    #[test]
    fn node_ids_from_the_file_attribute() {
        let root = Path::new("/nonexistent");
        let t = target(
            "tests.test_cart.TestCart",
            "test_add[a-1]",
            Some("tests/test_cart.py"),
        );
        assert_eq!(
            node_id(&t, root).unwrap().0,
            "tests/test_cart.py::TestCart::test_add[a-1]"
        );
        let t = target("tests.test_cart", "test_total", Some("tests/test_cart.py"));
        assert_eq!(
            node_id(&t, root).unwrap().0,
            "tests/test_cart.py::test_total"
        );
    }

    #[test]
    fn node_ids_from_files_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("tests/api")).unwrap();
        std::fs::write(dir.path().join("tests/api/client.py"), "").unwrap();
        let t = target("tests.api.client.TestClient.Nested", "test_get[x.y]", None);
        let (id, warning) = node_id(&t, dir.path()).unwrap();
        assert_eq!(id, "tests/api/client.py::TestClient::Nested::test_get[x.y]");
        assert_eq!(warning, None);
        // Not on disk: guessed from pytest's default file pattern, with a warning.
        let t = target("tests.test_other.TestA", "test_b", None);
        let (id, warning) = node_id(&t, dir.path()).unwrap();
        assert_eq!(id, "tests/test_other.py::TestA::test_b");
        assert!(warning.unwrap().contains("guessed"));
        assert!(node_id(&target("pkg.Thing", "check", None), dir.path()).is_err());
        // A folder with a dot in its name (pytest 9.2 writes `tests.my.pkg.test_d` for
        // tests/my.pkg/test_d.py): found; with tests/my/pkg/test_d.py beside it, the report
        // cannot say which, so no node id is written.
        std::fs::create_dir_all(dir.path().join("tests/my.pkg")).unwrap();
        std::fs::write(dir.path().join("tests/my.pkg/test_d.py"), "").unwrap();
        let t = target("tests.my.pkg.test_d", "test_dot", None);
        let (id, warning) = node_id(&t, dir.path()).unwrap();
        assert_eq!(id, "tests/my.pkg/test_d.py::test_dot");
        assert_eq!(warning, None);
        std::fs::create_dir_all(dir.path().join("tests/my/pkg")).unwrap();
        std::fs::write(dir.path().join("tests/my/pkg/test_d.py"), "").unwrap();
        let why = node_id(&t, dir.path()).unwrap_err();
        assert!(why.contains("names both"), "{why}");
    }

    #[test]
    fn hostile_names_are_one_argument_each() {
        let dir = tempfile::tempdir().unwrap();
        let targets: Vec<Target> = names()
            .iter()
            .map(|n| {
                target(
                    "tests.test_x",
                    &format!("test_p[{n}]"),
                    Some("tests/test_x.py"),
                )
            })
            .collect();
        let out = deselect(
            &targets,
            &Context {
                root: dir.path().into(),
                ..Context::default()
            },
        );
        let expected: Vec<String> = names()
            .iter()
            .filter(|n| !n.contains('\n'))
            .map(|n| format!("--testsift-deselect=tests/test_x.py::test_p[{n}]"))
            .collect();
        // The argument file: one argument per line, exactly.
        assert_eq!(out.text.lines().collect::<Vec<_>>(), expected);
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        // The shell form: a real shell reads back exactly these arguments.
        let args = out.args.unwrap();
        assert_eq!(through_sh(&shell_line(&args)), expected);
    }

    #[test]
    fn no_name_can_start_a_line_for_pythons_splitlines() {
        // pytest reads `@FILE` with str.splitlines, which also ends a line at these: a name
        // holding one would put the rest of it on a line of its own, as an argument.
        let breaks = [
            '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}',
        ];
        let dir = tempfile::tempdir().unwrap();
        let targets: Vec<Target> = breaks
            .iter()
            .map(|c| {
                target(
                    "tests.test_x",
                    &format!("test_p[a{c}--junitxml=/tmp/x]"),
                    Some("tests/test_x.py"),
                )
            })
            .chain(std::iter::once(target(
                "tests.test_x",
                "test_ok",
                Some("tests/test_x.py"),
            )))
            .collect();
        let out = deselect(
            &targets,
            &Context {
                root: dir.path().into(),
                ..Context::default()
            },
        );
        let python_lines: Vec<&str> = out
            .text
            .split(|c: char| c == '\n' || c == '\r' || breaks.contains(&c))
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(
            python_lines,
            ["--testsift-deselect=tests/test_x.py::test_ok"]
        );
        assert_eq!(out.warnings.len(), breaks.len(), "{:?}", out.warnings);
    }
}
