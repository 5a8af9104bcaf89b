//! The standard families community dashboards and alerts expect: Prometheus' process family
//! (the names, types and meanings of the Prometheus clients, values that describe this process)
//! and OpenTelemetry's GenAI client metrics (from `--simulate`, so every metric has samples), in
//! expositions `promtool check metrics` accepts.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use victor_test_support::series_value;

/// Every standard process metric on Linux and the type Prometheus' clients give it.
const PROCESS_FAMILY: [(&str, &str); 7] = [
    ("process_cpu_seconds_total", "counter"),
    ("process_resident_memory_bytes", "gauge"),
    ("process_virtual_memory_bytes", "gauge"),
    ("process_open_fds", "gauge"),
    ("process_max_fds", "gauge"),
    ("process_start_time_seconds", "gauge"),
    ("process_threads", "gauge"),
];

/// OpenTelemetry's GenAI client metrics, as OpenTelemetry's Prometheus compatibility names them.
const GEN_AI_FAMILY: [&str; 4] = [
    "gen_ai_client_token_usage",
    "gen_ai_client_operation_duration_seconds",
    "gen_ai_client_operation_time_to_first_chunk_seconds",
    "gen_ai_client_operation_time_per_output_chunk_seconds",
];

/// Runs `victor-exporter` with `args` on a free port until its `/metrics` holds `marker`, and
/// returns that exposition.
fn exposition(args: &[&str], marker: &str) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_victor-exporter"))
        .args(args)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_remove("VICTOR_METRICS_PORT")
        .env_remove("VICTOR_METRICS_ENABLED")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("victor-exporter starts");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        // The first sample is taken at start-up; wait for it to reach the exposition.
        if let Ok(mut response) = agent.get(&url).call() {
            let text = response.body_mut().read_to_string().expect("UTF-8");
            if text.contains(marker) {
                break text;
            }
        }
        assert!(Instant::now() < deadline, "{url} never showed {marker}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    text
}

#[test]
fn the_standard_process_and_gen_ai_families_are_exposed_as_their_conventions_name_them() {
    let text = exposition(&[], "process_start_time_seconds ");
    let simulated = exposition(
        &["--simulate"],
        "gen_ai_client_operation_time_to_first_chunk",
    );

    for (name, kind) in PROCESS_FAMILY {
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "{name} is not a {kind}:\n{text}"
        );
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "{name} has no HELP"
        );
    }
    for name in GEN_AI_FAMILY {
        assert!(
            simulated.contains(&format!("# TYPE {name} histogram\n"))
                && simulated.contains(&format!("{name}_bucket{{")),
            "{name} is not an exposed histogram"
        );
    }
    let value = |name: &str| series_value(&text, name).unwrap_or_else(|| panic!("{name}"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let started = value("process_start_time_seconds");
    assert!(
        (now - 60.0..=now).contains(&started),
        "start time {started} is not within the last minute of {now}"
    );
    assert!(value("process_resident_memory_bytes") > 1_000_000.0);
    assert!(value("process_virtual_memory_bytes") >= value("process_resident_memory_bytes"));
    assert!(value("process_open_fds") >= 3.0);
    assert!(value("process_max_fds") >= value("process_open_fds"));
    assert!(value("process_threads") >= 2.0);
    assert!(value("process_cpu_seconds_total") >= 0.0);

    let Some(promtool) = which("promtool") else {
        assert!(std::env::var_os("CI").is_none(), "CI=true and no promtool");
        return;
    };
    for exposition in [&text, &simulated] {
        let mut check = Command::new(&promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("promtool runs");
        std::io::Write::write_all(
            &mut check.stdin.take().expect("stdin"),
            exposition.as_bytes(),
        )
        .expect("write to promtool");
        let output = check.wait_with_output().expect("promtool ends");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "promtool check metrics:\n{said}");
        assert!(
            !said.contains("process_") && !said.contains("gen_ai_"),
            "promtool has a word on the process or GenAI families:\n{said}"
        );
    }
}

fn which(binary: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(binary))
            .find(|path| path.is_file())
    })
}
