//! The browser end-to-end tests (tests/e2e/*.test.mjs) as part of `cargo test`: headless
//! Chromium driven by playwright-core, and Lighthouse's SEO category (seo.test.mjs), against the
//! `turnout` binary cargo just built. tests/e2e/run.sh installs Debian's chromium (apt) and the
//! npm packages (playwright-core, lighthouse, chrome-launcher) when missing.

use std::path::Path;
use std::process::Command;

#[test]
fn pages_and_admin_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("bash")
        .arg(root.join("tests/e2e/run.sh"))
        .env("TURNOUT_BIN", env!("CARGO_BIN_EXE_turnout"))
        .status()
        .expect("bash runs tests/e2e/run.sh");
    assert!(
        status.success(),
        "browser end-to-end tests failed (output above)"
    );
}
