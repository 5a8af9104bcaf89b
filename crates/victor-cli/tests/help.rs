//! `--help` of every command, and a usage error, as committed snapshots (`tests/cmd/*.toml`
//! with their `.stdout` / `.stderr`). After changing the command line on purpose, refresh them
//! with `TRYCMD=overwrite cargo test -p victor-cli --test help` and review the diff.

#[test]
fn help_and_usage_errors_match_their_snapshots() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
