//! Real calendar parsers reading our feeds: python `icalendar` and Mozilla `ical.js`; and a
//! real feed reader's parser (python `feedparser`) reading our Atom feeds.
//! Installed on first use under `target/interop/` (pip into a venv, npm), so `cargo test` stands
//! on its own on a fresh machine with python3 and node.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;

const ICALENDAR: &str = "icalendar==7.3.0";
const RECURRING: &str = "recurring-ical-events==3.8.2";
const ICALJS: &str = "ical.js@2.2.1";
const FEEDPARSER: &str = "feedparser==6.0.12";

#[derive(Debug, Clone, Deserialize)]
pub struct Parsed {
    pub parser: String,
    pub errors: Vec<String>,
    pub events: Vec<ParsedEvent>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ParsedEvent {
    pub uid: String,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub status: String,
    pub sequence: i64,
    pub categories: Vec<String>,
    pub properties: Vec<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

impl Parsed {
    pub fn event(&self, uid: &str) -> &ParsedEvent {
        self.events
            .iter()
            .find(|e| e.uid == uid)
            .unwrap_or_else(|| panic!("{} has no event {uid}", self.parser))
    }
}

struct Tools {
    python: PathBuf,
    icaljs: PathBuf,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn setup() -> Result<Tools, String> {
    let dir = root().join("target/interop");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let venv = dir.join("venv");
    let python = venv.join("bin/python");
    let has_icalendar = || {
        Command::new(&python)
            .args(["-c", "import icalendar, recurring_ical_events, feedparser"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has_icalendar() {
        if !python.exists() {
            run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            ICALENDAR,
            RECURRING,
            FEEDPARSER,
        ]))?;
    }
    let node_dir = dir.join("node");
    let icaljs = node_dir.join("node_modules/ical.js/dist/ical.js");
    if !icaljs.exists() {
        run(Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&node_dir)
            .arg(ICALJS))?;
    }
    Ok(Tools { python, icaljs })
}

fn tools() -> &'static Tools {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    match TOOLS.get_or_init(setup) {
        Ok(t) => t,
        Err(e) => panic!("cannot install the calendar parsers the feed tests need: {e}"),
    }
}

/// Runs one of the parser scripts in tests/interop/ on `ics` (written to a temporary file, then
/// `args`) and gives its standard output; a script that fails fails the test.
fn run_script(
    program: &Path,
    script: &str,
    env: Option<(&str, &Path)>,
    ics: &[u8],
    args: &[&str],
) -> Vec<u8> {
    let file = tempfile::Builder::new()
        .suffix(".ics")
        .tempfile()
        .expect("temp file");
    std::fs::write(file.path(), ics).expect("write feed");
    let mut cmd = Command::new(program);
    cmd.arg(root().join("tests/interop").join(script))
        .arg(file.path())
        .args(args);
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("parser runs");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn parse_with(program: &Path, script: &str, env: Option<(&str, &Path)>, ics: &[u8]) -> Parsed {
    let stdout = run_script(program, script, env, ics, &[]);
    let parsed: Parsed = serde_json::from_slice(&stdout).unwrap_or_else(|e| {
        panic!(
            "{script} output ({e}): {}",
            String::from_utf8_lossy(&stdout)
        )
    });
    assert!(
        parsed.errors.is_empty(),
        "{} could not read the feed: {:?}",
        parsed.parser,
        parsed.errors
    );
    parsed
}

/// The feed as python `icalendar` and `ical.js` read it (both must read it without errors).
pub fn parse_both(ics: &[u8]) -> [Parsed; 2] {
    let t = tools();
    [
        parse_with(&t.python, "parse_icalendar.py", None, ics),
        parse_with(
            Path::new("node"),
            "parse_icaljs.mjs",
            Some(("ICALJS", &t.icaljs)),
            ics,
        ),
    ]
}

/// One occurrence as a parser expanded it (instants in UTC, `Z`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    pub start: String,
    pub uid: String,
    pub end: String,
    pub status: String,
    pub summary: String,
}

#[derive(Debug, Deserialize)]
struct Expanded {
    parser: String,
    errors: Vec<String>,
    occurrences: Vec<Occurrence>,
}

fn expand_with(
    program: &Path,
    script: &str,
    env: Option<(&str, &Path)>,
    ics: &[u8],
    window: (&str, &str),
) -> (String, Vec<Occurrence>) {
    let stdout = run_script(program, script, env, ics, &[window.0, window.1]);
    let e: Expanded = serde_json::from_slice(&stdout).unwrap_or_else(|err| {
        panic!(
            "{script} output ({err}): {}",
            String::from_utf8_lossy(&stdout)
        )
    });
    assert!(
        e.errors.is_empty(),
        "{} could not expand the feed: {:?}",
        e.parser,
        e.errors
    );
    let mut list = e.occurrences;
    list.sort();
    (e.parser, list)
}

/// Every occurrence overlapping the UTC window `[from, to)` as python `icalendar` +
/// `recurring-ical-events` and `ical.js` expand the feed.
pub fn expand_both(ics: &[u8], from: &str, to: &str) -> [(String, Vec<Occurrence>); 2] {
    let t = tools();
    [
        expand_with(&t.python, "expand_icalendar.py", None, ics, (from, to)),
        expand_with(
            Path::new("node"),
            "expand_icaljs.mjs",
            Some(("ICALJS", &t.icaljs)),
            ics,
            (from, to),
        ),
    ]
}

/// An Atom feed as python `feedparser` reads it, with every problem it or an RFC 4287 check
/// (tests/interop/atom_check.py) finds.
pub fn atom(xml: &[u8]) -> serde_json::Value {
    let stdout = run_script(&tools().python, "atom_check.py", None, xml, &[]);
    serde_json::from_slice(&stdout).unwrap_or_else(|e| {
        panic!(
            "atom_check.py output ({e}): {}",
            String::from_utf8_lossy(&stdout)
        )
    })
}
