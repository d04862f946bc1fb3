//! What a test is called: where it lives (its scope), its canonical id `scope::name`, and its
//! family (the id with parameters stripped).

/// Where a test lives: its class, else its file, else its suite.
pub(crate) fn scope<'a>(classname: &'a str, file: &'a str, suite: &'a str) -> &'a str {
    if !classname.is_empty() {
        classname
    } else if !file.is_empty() {
        file
    } else {
        suite
    }
}

/// Writes the canonical test id, `scope::name`, into `out`.
pub(crate) fn write_test_id(out: &mut String, scope: &str, name: &str) {
    out.clear();
    out.push_str(scope);
    out.push_str("::");
    out.push_str(name);
}

/// Writes the family id (the test id with parameters stripped) into `out`.
pub(crate) fn write_family(out: &mut String, scope: &str, name: &str) {
    out.clear();
    out.push_str(strip_index_suffix(scope));
    out.push_str("::");
    out.push_str(family_name(name));
}

/// A test name without its parameters: `test_x[1]`, `test(int)[2]`, `test(x=2)`,
/// `testAdd with data set #0` and GoogleTest's `Name/3` all name their family.
pub(crate) fn family_name(name: &str) -> &str {
    let mut s = name.trim_end();
    loop {
        let before = s;
        // `contains(' ')` is a fast byte scan; most names have no space and skip the substring search.
        if s.contains(' ')
            && let Some(i) = s.find(" with data set ")
        {
            s = s[..i].trim_end();
        }
        if let Some(stripped) = strip_group(s, '[', ']').or_else(|| strip_group(s, '(', ')')) {
            s = stripped;
        }
        s = strip_index_suffix(s);
        if s == before {
            break;
        }
    }
    if s.is_empty() { name } else { s }
}

/// `s` without a trailing balanced `open…close` group, when something precedes it.
fn strip_group(s: &str, open: char, close: char) -> Option<&str> {
    if !s.ends_with(close) {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in s.char_indices().rev() {
        if c == close {
            depth += 1;
        } else if c == open {
            depth -= 1;
            if depth == 0 {
                let head = s[..i].trim_end();
                return (!head.is_empty()).then_some(head);
            }
        }
    }
    None
}

/// `Name/3` → `Name` (value-parameterised GoogleTest, numbered subtests).
fn strip_index_suffix(s: &str) -> &str {
    match s.rsplit_once('/') {
        Some((head, tail))
            if !head.is_empty() && !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) =>
        {
            head
        }
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(family_name("test_x[1]"), "test_x");
        assert_eq!(family_name("test_x[a-[b]]"), "test_x");
        assert_eq!(family_name("testFoo(int)[1]"), "testFoo");
        assert_eq!(family_name("test(x=2)"), "test");
        assert_eq!(family_name("testAdd with data set #0"), "testAdd");
        assert_eq!(family_name("Param/3"), "Param");
        assert_eq!(family_name("[1]"), "[1]");
        assert_eq!(family_name("plain"), "plain");
        let mut out = String::new();
        write_family(&mut out, "Inst/MyTest/0", "Works/2");
        assert_eq!(out, "Inst/MyTest::Works");
    }
}
