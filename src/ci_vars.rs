//! CI variables: the run identity a CI system hands its jobs through the environment (GitHub
//! Actions, GitLab CI, Buildkite, CircleCI, Jenkins), read into run metadata. `ingest` uses it
//! for a single run that has no run.json and no flag saying otherwise: the CI job ingesting
//! its own reports. docs/ci.md lists every mapping.
//!
//! The environment is read through a lookup function, so the mapping is a pure function that
//! tests drive with a faked environment.

use crate::discover::RunMeta;

/// The run metadata one CI system gives, and which system it was.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CiRun {
    /// `github`, `gitlab`, `buildkite`, `circleci` or `jenkins`.
    pub(crate) system: &'static str,
    /// Only `run_id`, `attempt`, `commit`, `branch`, `timestamp`, `job` and `pipeline` are
    /// filled; `job` is the fallback variant.
    pub(crate) meta: RunMeta,
}

/// The CI system whose marker variable is set, with what its variables say; `None` outside CI
/// or when the system gives no run id. `var` looks one variable up (empty counts as unset).
pub(crate) fn detect(var: impl Fn(&str) -> Option<String>) -> Option<CiRun> {
    let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
    let (system, meta) = if get("GITHUB_ACTIONS").is_some() {
        ("github", github(&get))
    } else if get("GITLAB_CI").is_some() {
        ("gitlab", gitlab(&get))
    } else if get("BUILDKITE").is_some() {
        ("buildkite", buildkite(&get))
    } else if get("CIRCLECI").is_some() {
        ("circleci", circleci(&get))
    } else if get("JENKINS_URL").is_some() || get("JENKINS_HOME").is_some() {
        ("jenkins", jenkins(&get))
    } else {
        return None;
    };
    meta.run_id.is_some().then_some(CiRun { system, meta })
}

/// The variables of the process, for [`detect`].
pub(crate) fn from_process_env() -> Option<CiRun> {
    detect(|name| std::env::var(name).ok())
}

type Get<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// A whole number as CI systems count attempts (1 for the first).
fn number(text: Option<String>) -> Option<u32> {
    text.and_then(|text| text.trim().parse().ok())
}

fn github(get: &Get) -> RunMeta {
    RunMeta {
        run_id: get("GITHUB_RUN_ID"),
        attempt: number(get("GITHUB_RUN_ATTEMPT")),
        commit: get("GITHUB_SHA"),
        // On a pull request GITHUB_REF_NAME is `123/merge`; the branch is the PR's head.
        branch: get("GITHUB_HEAD_REF")
            .map(|head| github_pull_request_branch(get, head))
            .or_else(|| get("GITHUB_REF_NAME")),
        job: get("GITHUB_JOB"),
        pipeline: get("GITHUB_WORKFLOW"),
        ..RunMeta::default()
    }
}

/// The largest event payload read for a pull request's head (GitHub's are tens of KB).
const EVENT_MAX: u64 = 16 << 20;

/// A pull request's branch: its head branch's name, or for a pull request from a fork, the
/// fork's owner before it (`octocat:main`, GitHub's own label for the head), because a fork's
/// branch has any name, often the target's own: a contributor's `main` is not the trunk, and
/// two forks' `patch-1` are not one branch. The event payload (`GITHUB_EVENT_PATH`) tells a
/// fork; without it, a head named as the base (which only a fork can be) is `pull/N`.
fn github_pull_request_branch(get: &Get, head: String) -> String {
    let event = get("GITHUB_EVENT_PATH").and_then(|path| {
        use std::io::Read as _;
        let mut text = String::new();
        std::fs::File::open(path)
            .ok()?
            .take(EVENT_MAX)
            .read_to_string(&mut text)
            .ok()?;
        serde_json::from_str::<serde_json::Value>(&text).ok()
    });
    if let Some(pull) = event.as_ref().and_then(|event| event.get("pull_request")) {
        let repo = |side: &str| pull.pointer(&format!("/{side}/repo/full_name"))?.as_str();
        if repo("base").is_some() && repo("head") != repo("base") {
            let label = pull.pointer("/head/label").and_then(|label| label.as_str());
            let owner = pull
                .pointer("/head/repo/owner/login")
                .or_else(|| pull.pointer("/head/user/login"))
                .and_then(|login| login.as_str());
            return match (label, owner) {
                (Some(label), _) if label.contains(':') => label.to_owned(),
                (_, Some(owner)) => format!("{owner}:{head}"),
                _ => format!("fork:{head}"),
            };
        }
        return head;
    }
    let number = get("GITHUB_REF")
        .and_then(|r| r.strip_prefix("refs/pull/").map(str::to_owned))
        .or_else(|| get("GITHUB_REF_NAME"))
        .and_then(|r| r.split('/').next().map(str::to_owned))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if get("GITHUB_BASE_REF").as_deref() != Some(head.as_str()) {
        return head;
    }
    // `pull_request_target` runs on the base branch's ref: no number to read.
    match number {
        Some(number) => format!("pull/{number}"),
        None => format!("fork:{head}"),
    }
}

fn gitlab(get: &Get) -> RunMeta {
    // A retried job keeps its pipeline id and gets a new job id: with the pipeline id alone the
    // retry would be taken for the run already stored.
    let run_id = match (get("CI_PIPELINE_ID"), get("CI_JOB_ID")) {
        (Some(pipeline), Some(job)) => Some(format!("{pipeline}-{job}")),
        (pipeline, job) => pipeline.or(job),
    };
    RunMeta {
        run_id,
        commit: get("CI_COMMIT_SHA"),
        branch: get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
            .map(|source| gitlab_merge_request_branch(get, source))
            .or_else(|| get("CI_COMMIT_REF_NAME")),
        timestamp: get("CI_PIPELINE_CREATED_AT")
            .and_then(|text| crate::junit::values::parse_timestamp(&text)),
        job: get("CI_JOB_NAME").map(|name| gitlab_job_without_node(get, name)),
        pipeline: get("CI_PIPELINE_ID"),
        ..RunMeta::default()
    }
}

/// A job's name without the ` k/N` GitLab appends to each copy of a `parallel: N` job (`test
/// 2/3`): the copies are shards of one job, each a run of its own (its own job id) under one
/// variant, so a test keeps one series when the shards are rebalanced or N changes. Names of
/// `parallel: matrix` jobs (`test: [linux]`) are their legs' and stay.
fn gitlab_job_without_node(get: &Get, name: String) -> String {
    let (Some(index), Some(total)) = (number(get("CI_NODE_INDEX")), number(get("CI_NODE_TOTAL")))
    else {
        return name;
    };
    match name.strip_suffix(&format!(" {index}/{total}")) {
        Some(job) if total > 1 && !job.trim().is_empty() => job.to_string(),
        _ => name,
    }
}

/// A merge request's branch: its source branch, with the fork's path before it when the
/// merge request comes from a fork (`alice/shop:main`): a fork's `main` is not the trunk.
fn gitlab_merge_request_branch(get: &Get, source: String) -> String {
    let source_project = get("CI_MERGE_REQUEST_SOURCE_PROJECT_ID");
    let fork = source_project.is_some() && source_project != get("CI_MERGE_REQUEST_PROJECT_ID");
    match get("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH") {
        Some(path) if fork => format!("{path}:{source}"),
        None if fork => format!("fork-{}:{source}", source_project.unwrap_or_default()),
        _ => source,
    }
}

/// A run id with the job's index among parallel copies of one step (`1041.2`), when the step
/// runs in parallel: each copy runs its own share of the tests, and is a run of its own.
fn parallel(
    run_id: Option<String>,
    index: Option<String>,
    total: Option<String>,
) -> Option<String> {
    let several = total.is_none_or(|t| number(Some(t)).is_none_or(|t| t > 1));
    match (run_id, number(index)) {
        (Some(id), Some(i)) if several => Some(format!("{id}.{i}")),
        (id, _) => id,
    }
}

fn buildkite(get: &Get) -> RunMeta {
    RunMeta {
        run_id: parallel(
            get("BUILDKITE_BUILD_NUMBER").or_else(|| get("BUILDKITE_BUILD_ID")),
            get("BUILDKITE_PARALLEL_JOB"),
            get("BUILDKITE_PARALLEL_JOB_COUNT"),
        ),
        // BUILDKITE_RETRY_COUNT is 0 for a job's first run.
        attempt: number(get("BUILDKITE_RETRY_COUNT")).and_then(|retries| retries.checked_add(1)),
        commit: get("BUILDKITE_COMMIT"),
        branch: get("BUILDKITE_BRANCH"),
        job: get("BUILDKITE_LABEL"),
        pipeline: get("BUILDKITE_PIPELINE_SLUG"),
        ..RunMeta::default()
    }
}

fn circleci(get: &Get) -> RunMeta {
    RunMeta {
        // A rerun workflow gets a new workflow id; CIRCLE_BUILD_NUM is the job's own number.
        run_id: parallel(
            get("CIRCLE_WORKFLOW_ID").or_else(|| get("CIRCLE_BUILD_NUM")),
            get("CIRCLE_NODE_INDEX"),
            get("CIRCLE_NODE_TOTAL"),
        ),
        commit: get("CIRCLE_SHA1"),
        branch: get("CIRCLE_BRANCH"),
        job: get("CIRCLE_JOB"),
        pipeline: get("CIRCLE_PROJECT_REPONAME"),
        ..RunMeta::default()
    }
}

fn jenkins(get: &Get) -> RunMeta {
    let run_id = get("BUILD_TAG").or_else(|| match (get("JOB_NAME"), get("BUILD_NUMBER")) {
        (Some(job), Some(number)) => Some(format!("{job}-{number}")),
        _ => None,
    });
    // The Git plugin names the remote branch (`origin/main`); the branch is `main`.
    let branch = get("BRANCH_NAME").or_else(|| {
        get("GIT_BRANCH").map(|branch| {
            branch
                .strip_prefix("origin/")
                .map_or(branch.clone(), str::to_owned)
        })
    });
    RunMeta {
        run_id,
        commit: get("GIT_COMMIT"),
        branch,
        // JOB_NAME holds the branch in multibranch pipelines, so it is the pipeline, not a
        // variant that would split each branch's series in two.
        pipeline: get("JOB_NAME"),
        ..RunMeta::default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn outside_ci_nothing_is_detected() {
        assert_eq!(detect(env(&[("GITHUB_SHA", "abc")])), None);
        assert_eq!(detect(env(&[("GITHUB_ACTIONS", "true")])), None);
    }

    #[test]
    fn parallel_copies_of_a_step_are_runs_of_their_own() {
        let bk = |job: Option<&'static str>, count: Option<&'static str>| {
            let mut vars = vec![("BUILDKITE", "true"), ("BUILDKITE_BUILD_NUMBER", "1041")];
            vars.extend(job.map(|j| ("BUILDKITE_PARALLEL_JOB", j)));
            vars.extend(count.map(|c| ("BUILDKITE_PARALLEL_JOB_COUNT", c)));
            detect(env(&vars)).unwrap().meta.run_id
        };
        assert_eq!(bk(Some("2"), Some("4")).as_deref(), Some("1041.2"));
        assert_eq!(bk(Some("0"), None).as_deref(), Some("1041.0"));
        assert_eq!(bk(None, None).as_deref(), Some("1041"));
        let circle = |index: &'static str, total: &'static str| {
            detect(env(&[
                ("CIRCLECI", "true"),
                ("CIRCLE_WORKFLOW_ID", "wf-9"),
                ("CIRCLE_NODE_INDEX", index),
                ("CIRCLE_NODE_TOTAL", total),
            ]))
            .unwrap()
            .meta
            .run_id
        };
        assert_eq!(circle("3", "4").as_deref(), Some("wf-9.3"));
        // CircleCI sets the index on every job; one node is no parallelism.
        assert_eq!(circle("0", "1").as_deref(), Some("wf-9"));
    }

    #[test]
    fn gitlab_parallel_copies_share_their_jobs_name() {
        let job = |name: &'static str, node: Option<(&'static str, &'static str)>| {
            let mut vars = vec![
                ("GITLAB_CI", "true"),
                ("CI_PIPELINE_ID", "900"),
                ("CI_JOB_ID", "4501"),
                ("CI_JOB_NAME", name),
            ];
            if let Some((index, total)) = node {
                vars.extend([("CI_NODE_INDEX", index), ("CI_NODE_TOTAL", total)]);
            }
            detect(env(&vars)).unwrap().meta.job.unwrap()
        };
        assert_eq!(job("rspec 2/3", Some(("2", "3"))), "rspec");
        assert_eq!(job("test: [linux]", Some(("1", "2"))), "test: [linux]");
        // The numbers must be this copy's; a name that only looks so is kept.
        assert_eq!(job("build 2/3", Some(("1", "3"))), "build 2/3");
        assert_eq!(job("build 2/3", None), "build 2/3");
        assert_eq!(job("1/1", Some(("1", "1"))), "1/1");
    }

    #[test]
    fn gitlab_retries_get_their_own_run_id() {
        let ci = detect(env(&[
            ("GITLAB_CI", "true"),
            ("CI_PIPELINE_ID", "900"),
            ("CI_JOB_ID", "4501"),
            ("CI_PIPELINE_CREATED_AT", "2026-03-01T10:00:00Z"),
        ]))
        .unwrap();
        assert_eq!(ci.meta.run_id.as_deref(), Some("900-4501"));
        assert_eq!(ci.meta.pipeline.as_deref(), Some("900"));
        assert_eq!(
            ci.meta.timestamp,
            Some("2026-03-01T10:00:00Z".parse().unwrap())
        );
    }

    /// The branch GitHub's variables give a pull request from head `head` into `main`, with
    /// `event` (a payload) at GITHUB_EVENT_PATH when given.
    fn github_pull_request(head: &str, event: Option<&str>) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        let path = path.to_str().unwrap();
        let mut vars = vec![
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_RUN_ID", "77"),
            ("GITHUB_REF", "refs/pull/42/merge"),
            ("GITHUB_REF_NAME", "42/merge"),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_HEAD_REF", head),
        ];
        if let Some(event) = event {
            std::fs::write(path, event).unwrap();
            vars.push(("GITHUB_EVENT_PATH", path));
        }
        detect(env(&vars)).unwrap().meta.branch
    }

    #[test]
    fn a_pull_request_from_a_fork_is_not_the_trunk() {
        let fork = r#"{"pull_request": {"number": 42,
            "head": {"label": "octocat:main", "ref": "main",
                     "repo": {"full_name": "octocat/shop", "owner": {"login": "octocat"}}},
            "base": {"label": "acme:main", "ref": "main", "repo": {"full_name": "acme/shop"}}}}"#;
        assert_eq!(
            github_pull_request("main", Some(fork)).as_deref(),
            Some("octocat:main")
        );
        // A fork deleted since: no head repository, the label still names the owner.
        let gone = r#"{"pull_request": {"head": {"label": "octocat:patch-1", "repo": null},
            "base": {"repo": {"full_name": "acme/shop"}}}}"#;
        assert_eq!(
            github_pull_request("patch-1", Some(gone)).as_deref(),
            Some("octocat:patch-1")
        );
        // The same repository's branch keeps its name.
        let own = r#"{"pull_request": {"head": {"label": "acme:fix-cart",
            "repo": {"full_name": "acme/shop"}}, "base": {"repo": {"full_name": "acme/shop"}}}}"#;
        assert_eq!(
            github_pull_request("fix-cart", Some(own)).as_deref(),
            Some("fix-cart")
        );
        // No payload: a head named as the base can only be a fork's.
        assert_eq!(
            github_pull_request("main", None).as_deref(),
            Some("pull/42")
        );
        assert_eq!(
            github_pull_request("fix-cart", None).as_deref(),
            Some("fix-cart")
        );
        // An unreadable payload is no payload.
        assert_eq!(
            github_pull_request("main", Some("{")).as_deref(),
            Some("pull/42")
        );
        // `pull_request_target` without a payload: the ref is the base branch's, no number.
        let target = detect(env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_RUN_ID", "78"),
            ("GITHUB_EVENT_NAME", "pull_request_target"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_HEAD_REF", "main"),
        ]))
        .unwrap();
        assert_eq!(target.meta.branch.as_deref(), Some("fork:main"));
    }

    #[test]
    fn a_merge_request_from_a_fork_is_not_the_trunk() {
        let branch = |source_project: &'static str| {
            detect(env(&[
                ("GITLAB_CI", "true"),
                ("CI_PIPELINE_ID", "900"),
                ("CI_COMMIT_REF_NAME", "refs/merge-requests/7/head"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "main"),
                ("CI_MERGE_REQUEST_PROJECT_ID", "11"),
                ("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", source_project),
                ("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", "alice/shop"),
            ]))
            .unwrap()
            .meta
            .branch
        };
        assert_eq!(branch("12").as_deref(), Some("alice/shop:main"));
        assert_eq!(branch("11").as_deref(), Some("main"));
    }

    #[test]
    fn jenkins_drops_the_remote_from_git_branch() {
        let ci = detect(env(&[
            ("JENKINS_URL", "https://ci/"),
            ("JOB_NAME", "shop"),
            ("BUILD_NUMBER", "7"),
            ("GIT_BRANCH", "origin/main"),
        ]))
        .unwrap();
        assert_eq!(ci.meta.run_id.as_deref(), Some("shop-7"));
        assert_eq!(ci.meta.branch.as_deref(), Some("main"));
    }
}
