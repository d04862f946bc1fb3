//! `testsift.toml`: the settings a team checks in beside its code. Quarantine entries (with an
//! owner, a reason, an issue and an expiry), aliases that carry a renamed test's history over
//! to its new id, threshold defaults, and the rules that map tests to owners (CODEOWNERS and
//! classname rules). Found in the current directory, else at the root of the git repository
//! above it, or given with `--config`. Reference: docs/config.md.
//!
//! The file is read once per command, before any analysis, and installed for the process: the
//! aliases are applied where the analyses read test ids ([`alias_of`], [`alias_ids`]), so every
//! analysis sees one history per renamed test without each taking the table as an argument.

use crate::analysis::window::{Since, WindowSpec, parse_since};
use crate::store::schema::TEST_ID;
use polars::prelude::{Expr, LazyFrame, col, lit, when};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use toml::Spanned;

/// The file name looked for.
pub(crate) const FILE_NAME: &str = "testsift.toml";
/// Where CODEOWNERS is looked for when `[owners] codeowners` does not say, in GitHub's order.
const CODEOWNERS_PLACES: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];
/// How many steps a chain of aliases may take (a renamed test renamed again).
const MAX_ALIAS_CHAIN: usize = 32;

/// A problem with the configuration, naming the file and the line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    // The I/O error is in the message, not a source, so that it is printed once.
    #[error("{}: cannot read: {io}", path.display())]
    Read { path: PathBuf, io: std::io::Error },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The whole configuration; [`Config::default`] when there is no file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    /// The file it was read from, if any.
    pub(crate) path: Option<PathBuf>,
    pub(crate) quarantine: Vec<Quarantine>,
    /// At most this many tests may be quarantined (config entries and detected flaky tests).
    pub(crate) max_quarantined: Option<usize>,
    pub(crate) aliases: Aliases,
    pub(crate) thresholds: Thresholds,
    pub(crate) owners: Owners,
}

/// One `[[quarantine]]` entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Quarantine {
    /// A test id as testsift prints it, or a glob where `*` matches any run of characters.
    pub(crate) test: String,
    pub(crate) reason: String,
    pub(crate) owner: String,
    pub(crate) issue: String,
    /// The last day the entry holds (UTC).
    pub(crate) until: jiff::civil::Date,
    /// Only this variant's runs; every variant when none.
    pub(crate) variant: Option<String>,
    /// Line of the entry in the file, for messages.
    #[serde(skip)]
    pub(crate) line: usize,
}

impl Quarantine {
    /// Whether the entry names `test_id` (exactly, or through its glob).
    pub(crate) fn matches(&self, test_id: &str) -> bool {
        if self.test.contains('*') {
            Glob::new(&self.test, false).matches(test_id)
        } else {
            self.test == test_id
        }
    }

    /// Whether `today` is past the entry's last day.
    pub(crate) fn expired(&self, today: jiff::civil::Date) -> bool {
        today > self.until
    }

    /// Whether the entry holds on `variant`.
    pub(crate) fn on_variant(&self, variant: &str) -> bool {
        self.variant.as_deref().is_none_or(|v| v == variant)
    }
}

/// Today's date in UTC, the day quarantine expiry is judged on.
pub(crate) fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// Old test id -> new test id, chains resolved.
#[derive(Debug, Clone, Default)]
pub(crate) struct Aliases {
    map: FxHashMap<String, String>,
}

impl Aliases {
    /// The id whose history `id` counts for: the alias target, or `id` itself.
    pub(crate) fn of<'a>(&'a self, id: &'a str) -> &'a str {
        self.map.get(id).map_or(id, String::as_str)
    }

    /// An expression giving `column` with every aliased id replaced by its target; `None`
    /// when there is no alias.
    fn expr(&self, column: &str) -> Option<Expr> {
        let mut pairs: Vec<(&String, &String)> = self.map.iter().collect();
        pairs.sort();
        let mut it = pairs.into_iter();
        let (from, to) = it.next()?;
        let first = when(col(column).eq(lit(from.as_str()))).then(lit(to.as_str()));
        let Some((from, to)) = it.next() else {
            return Some(first.otherwise(col(column)).alias(column));
        };
        let mut chain = first
            .when(col(column).eq(lit(from.as_str())))
            .then(lit(to.as_str()));
        for (from, to) in it {
            chain = chain
                .when(col(column).eq(lit(from.as_str())))
                .then(lit(to.as_str()));
        }
        Some(chain.otherwise(col(column)).alias(column))
    }
}

/// `[thresholds]`: defaults for the flags of the same names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Thresholds {
    pub(crate) min_runs: Option<usize>,
    pub(crate) infra_threshold: Option<f64>,
    pub(crate) last_runs: Option<usize>,
    pub(crate) since: Option<Since>,
    pub(crate) max_flaky_rate: Option<f64>,
}

impl Thresholds {
    /// The window the configuration gives when the command line names none: with `--since` or
    /// `--last-runs` on the command line, the command line states the window alone.
    pub(crate) fn fill_window(&self, window: &mut WindowSpec) {
        if window.since.is_none() && window.last_runs.is_none() {
            window.since = self.since;
            window.last_runs = self.last_runs;
        }
    }
}

/// `[owners]` and the CODEOWNERS file it points at.
#[derive(Debug, Clone, Default)]
pub(crate) struct Owners {
    /// `[[owners.rule]]`, in file order (the last match wins).
    pub(crate) rules: Vec<(Glob, Vec<String>)>,
    /// CODEOWNERS entries, in file order (the last match wins).
    pub(crate) codeowners: Vec<(CodeownersPattern, Vec<String>)>,
    /// The CODEOWNERS file read, if any.
    pub(crate) codeowners_path: Option<PathBuf>,
    /// The directory paths in CODEOWNERS are relative to (the repository root).
    pub(crate) root: PathBuf,
}

impl Owners {
    /// The owners of a test: the last `[[owners.rule]]` whose classname glob matches, else
    /// the last CODEOWNERS entry that matches the test's `file`; empty when neither does.
    pub(crate) fn of(&self, classname: &str, file: Option<&str>) -> Vec<String> {
        if let Some((_, owners)) = self.rules.iter().rev().find(|(g, _)| g.matches(classname)) {
            return owners.clone();
        }
        let Some(file) = file.map(|f| self.relative(f)) else {
            return Vec::new();
        };
        self.codeowners
            .iter()
            .rev()
            .find(|(p, _)| p.matches(&file))
            .map(|(_, o)| o.clone())
            .unwrap_or_default()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.codeowners.is_empty()
    }

    /// `file` as a path from the repository root: `./` dropped, an absolute path inside the
    /// root made relative, backslashes made slashes.
    fn relative(&self, file: &str) -> String {
        let file = file.replace('\\', "/");
        let root = self.root.to_string_lossy().replace('\\', "/");
        let file = if !root.is_empty() && file.starts_with('/') {
            file.strip_prefix(root.trim_end_matches('/'))
                .map_or(file.as_str(), |f| f.trim_start_matches('/'))
                .to_string()
        } else {
            file
        };
        let mut f = file.as_str();
        while let Some(rest) = f.strip_prefix("./") {
            f = rest;
        }
        f.to_string()
    }
}

/// Whether `team` is one of `owners`, with or without its `@`, in any case.
pub(crate) fn owned_by(owners: &[String], team: &str) -> bool {
    let norm = |s: &str| s.trim_start_matches('@').to_lowercase();
    let team = norm(team);
    owners.iter().any(|o| norm(o) == team)
}

static INSTALLED: OnceLock<Config> = OnceLock::new();

/// Makes `config` the process's configuration (the first call wins).
pub(crate) fn install(config: Config) {
    let _ = INSTALLED.set(config);
}

/// The process's configuration: the installed one, else an empty one.
pub(crate) fn installed() -> &'static Config {
    static EMPTY: OnceLock<Config> = OnceLock::new();
    INSTALLED
        .get()
        .unwrap_or_else(|| EMPTY.get_or_init(Config::default))
}

/// The id whose history `id` counts for under the installed aliases.
pub(crate) fn alias_of(id: &str) -> &str {
    installed().aliases.of(id)
}

/// `lf` with its `test_id` column mapped through the installed aliases (unchanged when there
/// is none): the hook every loader of executions applies before grouping by test.
pub(crate) fn alias_ids(lf: LazyFrame) -> LazyFrame {
    match installed().aliases.expr(TEST_ID) {
        Some(e) => lf.with_column(e),
        None => lf,
    }
}

impl Config {
    /// The configuration for this process: `explicit` when given (it must exist), else
    /// `testsift.toml` in the current directory, else at the root of the git repository above
    /// it; no file is an empty configuration (CODEOWNERS is still looked for at the root).
    pub(crate) fn find(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let repo = git_root(&cwd);
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => [Some(cwd.clone()), repo.clone()]
                .into_iter()
                .flatten()
                .map(|d| d.join(FILE_NAME))
                .find(|p| p.is_file()),
        };
        let root = match &path {
            Some(p) => p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| cwd.clone(), Path::to_path_buf),
            None => repo.unwrap_or(cwd),
        };
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|io| ConfigError::Read {
                    path: path.clone(),
                    io,
                })?;
                Config::parse(&text, &path, &root)
            }
            None => Ok(Config {
                owners: Owners {
                    root: root.clone(),
                    ..Owners::default()
                }
                .with_codeowners(None, &root)?,
                ..Config::default()
            }),
        }
    }

    /// Parses and validates the text of `path`; relative paths in it are taken from `root`.
    pub(crate) fn parse(text: &str, path: &Path, root: &Path) -> Result<Config, ConfigError> {
        let at = |span: Range<usize>, message: String| {
            let (line, column) = line_column(text, span.start);
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let raw: Raw = toml::from_str(text)
            .map_err(|e| at(e.span().unwrap_or(0..0), e.message().trim_end().to_string()))?;
        let mut config = Config {
            path: Some(path.to_path_buf()),
            ..Config::default()
        };
        if let Some(m) = raw.max_quarantined {
            let span = m.span();
            config.max_quarantined = Some(
                usize::try_from(*m.get_ref())
                    .map_err(|_| at(span, "max_quarantined must be 0 or more".into()))?,
            );
        }
        for q in raw.quarantine {
            let nonempty = |s: &Spanned<String>, key: &str| {
                if s.get_ref().trim().is_empty() {
                    Err(at(s.span(), format!("quarantine `{key}` is empty")))
                } else {
                    Ok(s.get_ref().clone())
                }
            };
            let issue = nonempty(&q.issue, "issue")?;
            if !(issue.starts_with("https://") || issue.starts_with("http://")) {
                return Err(at(
                    q.issue.span(),
                    format!("quarantine `issue` must be a URL (https://...), not {issue:?}"),
                ));
            }
            let until_text = q.until.get_ref().text();
            let until = until_text
                .trim()
                .parse::<jiff::civil::Date>()
                .map_err(|_| {
                    at(
                        q.until.span(),
                        format!(
                            "quarantine `until` must be a date as \"YYYY-MM-DD\", not \
                             {until_text:?}"
                        ),
                    )
                })?;
            config.quarantine.push(Quarantine {
                test: nonempty(&q.test, "test")?,
                reason: nonempty(&q.reason, "reason")?,
                owner: nonempty(&q.owner, "owner")?,
                issue,
                until,
                variant: q.variant,
                line: line_column(text, q.test.span().start).0,
            });
        }
        let mut direct: FxHashMap<String, (String, Range<usize>)> = FxHashMap::default();
        for a in &raw.alias {
            if a.from.get_ref() == a.to.get_ref() {
                return Err(at(a.to.span(), "an alias cannot point at itself".into()));
            }
            if direct
                .insert(
                    a.from.get_ref().clone(),
                    (a.to.get_ref().clone(), a.from.span()),
                )
                .is_some()
            {
                return Err(at(
                    a.from.span(),
                    format!("{:?} is aliased twice", a.from.get_ref()),
                ));
            }
        }
        for (from, (_, span)) in &direct {
            let mut to = from;
            for step in 0.. {
                match direct.get(to) {
                    Some((next, _)) if step < MAX_ALIAS_CHAIN => to = next,
                    Some(_) => {
                        return Err(at(
                            span.clone(),
                            format!("the aliases of {from:?} form a cycle"),
                        ));
                    }
                    None => break,
                }
            }
            config.aliases.map.insert(from.clone(), to.clone());
        }
        if let Some(t) = raw.thresholds {
            config.thresholds = thresholds(t, &at)?;
        }
        let raw_owners = raw.owners.unwrap_or_default();
        let mut owners = Owners {
            root: root.to_path_buf(),
            ..Owners::default()
        };
        for r in raw_owners.rule {
            if r.owners.get_ref().is_empty() {
                return Err(at(r.owners.span(), "an owners rule needs owners".into()));
            }
            owners.rules.push((
                Glob::new(r.classname.get_ref(), false),
                r.owners.into_inner(),
            ));
        }
        let codeowners = raw_owners.codeowners.map(|c| (root.join(c.get_ref()), c));
        if let Some((p, c)) = &codeowners
            && !p.is_file()
        {
            return Err(at(
                c.span(),
                format!("CODEOWNERS file {} does not exist", p.display()),
            ));
        }
        config.owners = owners.with_codeowners(codeowners.map(|(p, _)| p), root)?;
        Ok(config)
    }

    /// The quarantine entries past their `until`, on `today`.
    pub(crate) fn expired_quarantine(&self, today: jiff::civil::Date) -> Vec<&Quarantine> {
        self.quarantine
            .iter()
            .filter(|q| q.expired(today))
            .collect()
    }
}

impl Owners {
    /// Reads CODEOWNERS from `path`, or from the first of the usual places under `root`.
    fn with_codeowners(
        mut self,
        path: Option<PathBuf>,
        root: &Path,
    ) -> Result<Owners, ConfigError> {
        let path = path.or_else(|| {
            CODEOWNERS_PLACES
                .iter()
                .map(|p| root.join(p))
                .find(|p| p.is_file())
        });
        if let Some(path) = path {
            let text = std::fs::read(&path).map_err(|io| ConfigError::Read {
                path: path.clone(),
                io,
            })?;
            self.codeowners = parse_codeowners(&String::from_utf8_lossy(&text));
            self.codeowners_path = Some(path);
        }
        Ok(self)
    }
}

fn thresholds(
    t: RawThresholds,
    at: &impl Fn(Range<usize>, String) -> ConfigError,
) -> Result<Thresholds, ConfigError> {
    // The flags' own parsers, so a value the command line refuses is refused here too.
    let count = |v: &Spanned<i64>, key: &str| {
        v.get_ref()
            .to_string()
            .parse::<usize>()
            .map_err(|_| at(v.span(), format!("{key} must be a whole number, 0 or more")))
    };
    let share = |v: &Spanned<f64>, key: &str, parse: fn(&str) -> Result<f64, String>| {
        parse(&v.get_ref().to_string()).map_err(|e| at(v.span(), format!("{key}: {e}")))
    };
    Ok(Thresholds {
        min_runs: t
            .min_runs
            .as_ref()
            .map(|v| count(v, "min_runs"))
            .transpose()?,
        infra_threshold: t
            .infra_threshold
            .as_ref()
            .map(|v| share(v, "infra_threshold", crate::cli::parse_probability))
            .transpose()?,
        last_runs: match &t.last_runs {
            Some(v) => match count(v, "last_runs")? {
                0 => return Err(at(v.span(), "last_runs 0 keeps no run".into())),
                n => Some(n),
            },
            None => None,
        },
        since: t
            .since
            .as_ref()
            .map(|v| parse_since(v.get_ref()).map_err(|e| at(v.span(), format!("since: {e}"))))
            .transpose()?,
        max_flaky_rate: t
            .max_flaky_rate
            .as_ref()
            .map(|v| share(v, "max_flaky_rate", crate::cli::parse_share))
            .transpose()?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    max_quarantined: Option<Spanned<i64>>,
    #[serde(default)]
    quarantine: Vec<RawQuarantine>,
    #[serde(default)]
    alias: Vec<RawAlias>,
    thresholds: Option<RawThresholds>,
    owners: Option<RawOwners>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuarantine {
    test: Spanned<String>,
    reason: Spanned<String>,
    owner: Spanned<String>,
    issue: Spanned<String>,
    until: Spanned<DateText>,
    variant: Option<String>,
}

/// `until`, as a string (`"2027-01-31"`) or a TOML date (`2027-01-31`).
#[derive(Deserialize)]
#[serde(untagged)]
enum DateText {
    Text(String),
    Date(toml::value::Datetime),
    /// Anything else (`20990101`, a table): refused below with the value named.
    Other(toml::Value),
}

impl DateText {
    fn text(&self) -> String {
        match self {
            DateText::Text(s) => s.clone(),
            DateText::Date(d) => d.to_string(),
            DateText::Other(v) => match v {
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::String(s) => s.clone(),
                toml::Value::Datetime(d) => d.to_string(),
                toml::Value::Array(_) => "an array".into(),
                toml::Value::Table(_) => "a table".into(),
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlias {
    from: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    min_runs: Option<Spanned<i64>>,
    infra_threshold: Option<Spanned<f64>>,
    last_runs: Option<Spanned<i64>>,
    since: Option<Spanned<String>>,
    max_flaky_rate: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOwners {
    codeowners: Option<Spanned<String>>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    classname: Spanned<String>,
    owners: Spanned<Vec<String>>,
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The nearest directory at or above `dir` that holds `.git` (a folder, or a file in a
/// worktree).
fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// A glob: `*` matches any run of characters (in path mode, none of them `/`), `**` any run
/// including `/`, `**/` any number of whole folders, `?` one character; `\` quotes the next.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Char(char),
    One,
    Star,
    Any,
    Folders,
}

impl Glob {
    pub(crate) fn new(pattern: &str, paths: bool) -> Glob {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\\' if i + 1 < chars.len() => {
                    tokens.push(Token::Char(chars[i + 1]));
                    i += 1;
                }
                '*' if paths && chars.get(i + 1) == Some(&'*') => {
                    if chars.get(i + 2) == Some(&'/') {
                        tokens.push(Token::Folders);
                        i += 2;
                    } else {
                        tokens.push(Token::Any);
                        i += 1;
                    }
                }
                '*' if paths => tokens.push(Token::Star),
                '*' => tokens.push(Token::Any),
                '?' if paths => tokens.push(Token::One),
                c => tokens.push(Token::Char(c)),
            }
            i += 1;
        }
        Glob { tokens }
    }

    /// Whether the whole of `text` matches: one pass over the text per token, so a long test
    /// id cannot make matching slow.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        let n = t.len();
        let mut cur = vec![false; n + 1];
        cur[0] = true;
        let mut next = vec![false; n + 1];
        for tok in &self.tokens {
            next.iter_mut().for_each(|x| *x = false);
            match *tok {
                Token::Char(c) => {
                    for j in 0..n {
                        next[j + 1] = cur[j] && t[j] == c;
                    }
                }
                Token::One => {
                    for j in 0..n {
                        next[j + 1] = cur[j] && t[j] != '/';
                    }
                }
                Token::Star => {
                    next[0] = cur[0];
                    for j in 1..=n {
                        next[j] = cur[j] || (next[j - 1] && t[j - 1] != '/');
                    }
                }
                Token::Any => {
                    next[0] = cur[0];
                    for j in 1..=n {
                        next[j] = cur[j] || next[j - 1];
                    }
                }
                Token::Folders => {
                    let mut seen = cur[0];
                    next[0] = cur[0];
                    for j in 1..=n {
                        next[j] = cur[j] || (seen && t[j - 1] == '/');
                        seen |= cur[j];
                    }
                }
            }
            std::mem::swap(&mut cur, &mut next);
            if !cur.iter().any(|x| *x) {
                return false;
            }
        }
        cur[n]
    }
}

/// One CODEOWNERS pattern, in GitHub's and GitLab's gitignore-like syntax.
#[derive(Debug, Clone)]
pub(crate) struct CodeownersPattern {
    glob: Glob,
    /// `dir/`: matches what is under a folder of that name, not a file.
    folder_only: bool,
    /// `dir/*`: matches the folder's files, not what is in its subfolders.
    files_only: bool,
}

impl CodeownersPattern {
    pub(crate) fn new(pattern: &str) -> CodeownersPattern {
        let folder_only = pattern.ends_with('/');
        let p = pattern.trim_end_matches('/');
        let anchored = p.starts_with('/') || p.contains('/');
        let p = p.trim_start_matches('/');
        let files_only = p.ends_with("/*") || p == "*";
        let full = if anchored {
            p.to_string()
        } else {
            format!("**/{p}")
        };
        CodeownersPattern {
            glob: Glob::new(&full, true),
            folder_only,
            files_only,
        }
    }

    /// Whether `path` (from the repository root) is owned through this pattern: the path
    /// itself matches, or one of its folders does.
    pub(crate) fn matches(&self, path: &str) -> bool {
        if !self.folder_only && self.glob.matches(path) {
            return true;
        }
        if self.files_only && !self.folder_only {
            return false;
        }
        path.match_indices('/')
            .any(|(i, _)| self.glob.matches(&path[..i]))
    }
}

/// The entries of a CODEOWNERS file, in order: comments, blank lines and GitLab `[Section]`
/// headers are left out; a pattern with no owner is kept (it unsets the owners).
pub(crate) fn parse_codeowners(text: &str) -> Vec<(CodeownersPattern, Vec<String>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with('[')
            || line.starts_with("^[")
        {
            continue;
        }
        let line = line.find(" #").map_or(line, |i| &line[..i]);
        let mut fields = split_pattern(line);
        let Some(pattern) = fields.next() else {
            continue;
        };
        let owners: Vec<String> = fields.collect();
        out.push((CodeownersPattern::new(&pattern), owners));
    }
    out
}

/// Splits a CODEOWNERS line at whitespace, keeping `\ ` inside the pattern.
fn split_pattern(line: &str) -> impl Iterator<Item = String> + '_ {
    let mut pattern = String::new();
    let mut end = line.len();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    if n != ' ' {
                        pattern.push('\\');
                    }
                    pattern.push(n);
                }
            }
            c if c.is_whitespace() => {
                end = i;
                break;
            }
            c => pattern.push(c),
        }
    }
    std::iter::once(pattern)
        .filter(|p| !p.is_empty())
        .chain(line[end..].split_whitespace().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("testsift.toml"), Path::new("/nowhere"))
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("[thresholds]\nmin_runs = 5\nbogus = 1\n").expect_err("unknown key");
        let s = e.to_string();
        assert!(s.starts_with("testsift.toml:3:1: "), "{s}");
        assert!(s.contains("bogus"), "{s}");
        let e = parse("[thresholds]\ninfra_threshold = 2\n").expect_err("out of range");
        assert!(
            e.to_string()
                .starts_with("testsift.toml:2:19: infra_threshold"),
            "{e}"
        );
        let e = parse(
            "[[quarantine]]\ntest = \"a\"\nreason = \"r\"\nowner = \"o\"\nissue = \"https://x\"\n\
             until = \"2026-13-01\"\n",
        )
        .expect_err("bad date");
        assert!(e.to_string().starts_with("testsift.toml:6:9: "), "{e}");
    }

    #[test]
    fn until_is_a_string_or_a_toml_date() {
        let entry = |until: &str| {
            format!(
                "[[quarantine]]\ntest = \"a\"\nreason = \"r\"\nowner = \"o\"\n\
                 issue = \"https://x\"\nuntil = {until}\n"
            )
        };
        for until in ["\"2027-01-31\"", "2027-01-31"] {
            let c = parse(&entry(until)).expect("a date");
            assert_eq!(c.quarantine[0].until.to_string(), "2027-01-31");
        }
        let e = parse(&entry("2027-01-31T10:00:00Z")).expect_err("not a date");
        assert!(e.to_string().starts_with("testsift.toml:6:9: "), "{e}");
        // Any other value is named in the message, not lost in a parser's words.
        for (until, shown) in [("true", "\"true\""), ("[1]", "\"an array\"")] {
            let e = parse(&entry(until)).expect_err("not a date");
            assert_eq!(
                e.to_string(),
                format!(
                    "testsift.toml:6:9: quarantine `until` must be a date as \"YYYY-MM-DD\", \
                     not {shown}"
                )
            );
        }
    }

    #[test]
    fn aliases_resolve_chains_and_refuse_cycles() {
        let c = parse("[[alias]]\nfrom = \"a\"\nto = \"b\"\n[[alias]]\nfrom = \"b\"\nto = \"c\"\n")
            .expect("valid");
        assert_eq!(c.aliases.of("a"), "c");
        assert_eq!(c.aliases.of("b"), "c");
        assert_eq!(c.aliases.of("x"), "x");
        let e = parse("[[alias]]\nfrom = \"a\"\nto = \"b\"\n[[alias]]\nfrom = \"b\"\nto = \"a\"\n")
            .expect_err("cycle");
        assert!(e.to_string().contains("cycle"), "{e}");
    }

    #[test]
    fn globs() {
        let g = Glob::new("tests.net::*", false);
        assert!(g.matches("tests.net::test_a/b"));
        assert!(!g.matches("tests.db::test_a"));
        let p = |s: &str| Glob::new(s, true);
        assert!(p("src/*.py").matches("src/a.py"));
        assert!(!p("src/*.py").matches("src/x/a.py"));
        assert!(p("src/**/a.py").matches("src/a.py"));
        assert!(p("src/**/a.py").matches("src/x/y/a.py"));
        assert!(p("src/**").matches("src/x/y/a.py"));
        assert!(Glob::new(&"*a".repeat(20), true).matches(&"a".repeat(100)));
        // A backslash before a star matches the star itself.
        let literal = Glob::new("go/pkg::TestHostile/a\\*b", false);
        assert!(literal.matches("go/pkg::TestHostile/a*b"));
        assert!(!literal.matches("go/pkg::TestHostile/a.b"));
    }

    #[test]
    fn codeowners_last_match_wins() {
        let entries = parse_codeowners(
            "# comment\n* @all\n[Backend] @lead\n*.py @py\n/docs/ @docs\napps/ @apps\n\
             src/net/* @net\n/src/vendored.py\n**/logs @logs\n",
        );
        let of = |f: &str| {
            entries
                .iter()
                .rev()
                .find(|(p, _)| p.matches(f))
                .map(|(_, o)| o.join(","))
                .unwrap_or_default()
        };
        assert_eq!(of("README.md"), "@all");
        assert_eq!(of("src/x.py"), "@py");
        assert_eq!(of("docs/a/b.md"), "@docs");
        assert_eq!(of("x/docs/b.md"), "@all");
        assert_eq!(of("lib/apps/b.rs"), "@apps");
        assert_eq!(of("src/net/a.c"), "@net");
        assert_eq!(of("src/net/deep/a.c"), "@all");
        assert_eq!(of("src/vendored.py"), "");
        assert_eq!(of("a/logs/x"), "@logs");
    }
}
