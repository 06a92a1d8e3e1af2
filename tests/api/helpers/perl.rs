//! Running a Perl script of the real legacy client (Debian's `libwww-facebook-api-perl`,
//! installed by `./scripts/test`) and reading the `name=value` lines it prints.

use std::process::Command;

/// Runs `script` with `args`; its standard output. Panics with its standard error when it
/// fails.
pub fn run_perl_script(script: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.pl");
    std::fs::write(&path, script).unwrap();
    let out = Command::new("perl")
        .arg(&path)
        .args(args)
        .output()
        .expect("perl runs");
    assert!(
        out.status.success(),
        "perl failed (./scripts/test installs libwww-facebook-api-perl):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The value of the `name=value` line in `out`.
pub fn field<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {out}"))
}
