//! Running the `oceanid` binary in a test, shared by the test binaries of this crate.

use std::process::Output;

/// Runs `oceanid ARGS` with no `KUBECONFIG` and no home directory, and asserts `secret` (the
/// test's kubeconfig token) appears in neither stdout nor stderr.
pub async fn run_oceanid(args: &[&str], secret: &str) -> Output {
    run_oceanid_env(args, &[], &[secret]).await
}

/// Runs `oceanid ARGS` as [`run_oceanid`] does, with no Crunchy Bridge variables but `env`, and
/// asserts none of `secrets` appears in stdout or stderr.
pub async fn run_oceanid_env(args: &[&str], env: &[(&str, &str)], secrets: &[&str]) -> Output {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_oceanid"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env_remove("CRUNCHYBRIDGE_API_KEY")
        .env_remove("CB_API_KEY")
        .env_remove("CRUNCHYBRIDGE_API_URL")
        .env("HOME", "/nonexistent-home")
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run oceanid");
    let all = format!("{}{}", stdout(&output), stderr(&output));
    for secret in secrets {
        assert!(!all.contains(secret), "a secret leaked: {all}");
    }
    output
}

/// Asserts the exit status, showing both streams when it differs.
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        stdout(out),
        stderr(out)
    );
}

/// The standard output, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The standard error, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
