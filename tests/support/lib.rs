//! Support for end-to-end tests: real components started on 127.0.0.1, waited on through their
//! APIs (never fixed sleeps), stopped when dropped.
//!
//! A missing component fails the test under `CI=true`. Outside CI it is reported loudly and the
//! test returns early; `scripts/test.sh` installs everything, so use it to run the whole suite.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// Finds `program` on `PATH`; `None` (after saying so) when it is missing outside CI.
///
/// # Panics
/// When it is missing and `CI=true`: CI must never skip silently.
pub fn require(program: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        let message = format!(
            "{program} is not installed ({package}); run scripts/test.sh, which installs it"
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    found
}

/// The path in environment variable `variable`, when it names a file; `None` (after saying so)
/// outside CI.
///
/// # Panics
/// When it does not and `CI=true`.
pub fn require_file(variable: &str, what: &str) -> Option<PathBuf> {
    let found = std::env::var_os(variable)
        .map(PathBuf::from)
        .filter(|path| path.is_file());
    if found.is_none() {
        let message = format!(
            "{variable} does not name a file ({what}); run scripts/test.sh, which installs it and sets {variable}"
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    found
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// Runs `program` with `args`; fails with its output when it exits non-zero.
///
/// # Errors
/// When it cannot start or fails.
pub fn run_checker(program: &Path, args: &[&std::ffi::OsStr]) -> anyhow::Result<String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() {
        bail!("{} {args:?} failed:\n{text}", program.display());
    }
    Ok(text)
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or(0)
}

/// A Prometheus server scraping given targets every second (OpenMetrics preferred, as
/// Prometheus asks by default), with exemplar storage on and its data in a temp dir.
pub struct Prometheus {
    child: Child,
    dir: tempfile::TempDir,
    /// Base URL of its HTTP API.
    pub url: String,
    agent: ureq::Agent,
}

impl Prometheus {
    /// Starts `prometheus` scraping `targets` (job `victor`) every second and waits until it
    /// answers queries.
    ///
    /// # Errors
    /// When it cannot start or does not become ready within 30 s (its log is included).
    pub fn start(binary: &Path, targets: &[SocketAddr]) -> anyhow::Result<Prometheus> {
        Prometheus::start_with_rules(binary, targets, &[])
    }

    /// [`Prometheus::start`], also loading (and evaluating every second) these rule files.
    ///
    /// # Errors
    /// As [`Prometheus::start`].
    pub fn start_with_rules(
        binary: &Path,
        targets: &[SocketAddr],
        rule_files: &[PathBuf],
    ) -> anyhow::Result<Prometheus> {
        Prometheus::start_with_alertmanager(binary, targets, rule_files, None)
    }

    /// [`Prometheus::start_with_rules`], also sending alerts to the Alertmanager at
    /// `alertmanager` (`host:port`), re-sending every second.
    ///
    /// # Errors
    /// As [`Prometheus::start`].
    pub fn start_with_alertmanager(
        binary: &Path,
        targets: &[SocketAddr],
        rule_files: &[PathBuf],
        alertmanager: Option<&str>,
    ) -> anyhow::Result<Prometheus> {
        let dir = tempfile::tempdir().context("temp dir")?;
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let rule_files: Vec<String> = rule_files
            .iter()
            .map(|path| format!("'{}'", path.display()))
            .collect();
        // One address, or several separated by commas (an HA cluster's instances).
        let alerting = alertmanager.map_or_else(String::new, |addresses| {
            let targets: Vec<String> = addresses.split(',').map(|a| format!("'{a}'")).collect();
            format!(
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [{}]\n",
                targets.join(", ")
            )
        });
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files: [{}]\n{alerting}\
             scrape_configs:\n  - job_name: victor\n    metrics_path: /metrics\n    \
             static_configs:\n      - targets: [{}]\n",
            rule_files.join(", "),
            targets.join(", ")
        );
        Prometheus::start_with_config(binary, &config, dir)
    }

    /// Starts `prometheus` with this whole configuration file (scrape configs of the test's
    /// own), its data in `dir`, and waits until it answers queries.
    ///
    /// # Errors
    /// As [`Prometheus::start`].
    pub fn start_with_config(
        binary: &Path,
        config: &str,
        dir: tempfile::TempDir,
    ) -> anyhow::Result<Prometheus> {
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).context("write prometheus.yml")?;
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).context("log file")?;
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--rules.alert.resend-delay=1s")
            .arg("--enable-feature=exemplar-storage")
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("log file")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .into();
        let prometheus = Prometheus {
            child,
            dir,
            url: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let ready = format!("{}/-/ready", prometheus.url);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = prometheus.agent.get(&ready).call()
                && response.status() == 200
            {
                return Ok(prometheus);
            }
            if Instant::now() > deadline {
                bail!(
                    "Prometheus was not ready within 30 s:\n{}",
                    prometheus.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Prometheus' own log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// Runs an instant query; returns each series' labels and value.
    ///
    /// # Errors
    /// When the API fails or answers something other than a vector.
    pub fn query(&self, expr: &str) -> anyhow::Result<Vec<(BTreeMap<String, String>, f64)>> {
        let mut response = self
            .agent
            .get(&format!("{}/api/v1/query", self.url))
            .query("query", expr)
            .call()
            .with_context(|| format!("query {expr}"))?;
        let body: serde_json::Value = response.body_mut().read_json().context("query JSON")?;
        if body["status"] != "success" {
            bail!("query {expr} failed: {body}");
        }
        let results = body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        results
            .iter()
            .map(|series| {
                let labels = series["metric"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                let value = series["value"][1]
                    .as_str()
                    .and_then(|v| v.parse::<f64>().ok())
                    .with_context(|| format!("no value in {series}"))?;
                Ok((labels, value))
            })
            .collect()
    }

    /// The single value of `expr`, once `accept` holds for it, polling for up to `within`.
    ///
    /// # Errors
    /// When it does not hold in time (the last answer and Prometheus' log are included).
    pub fn wait_for_value(
        &self,
        expr: &str,
        within: Duration,
        accept: impl Fn(f64) -> bool,
    ) -> anyhow::Result<f64> {
        let deadline = Instant::now() + within;
        loop {
            let answer = self.query(expr);
            if let Ok(series) = &answer
                && let [(_, value)] = series.as_slice()
                && accept(*value)
            {
                return Ok(*value);
            }
            if Instant::now() > deadline {
                bail!(
                    "{expr} did not settle within {within:?}; last answer {answer:?}\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Each active target's last scrape error (empty when it succeeded), by job, from
    /// `/api/v1/targets`.
    ///
    /// # Errors
    /// When the API fails.
    pub fn target_errors(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let mut response = self
            .agent
            .get(&format!("{}/api/v1/targets", self.url))
            .call()
            .context("targets")?;
        let body: serde_json::Value = response.body_mut().read_json().context("targets JSON")?;
        let targets = body["data"]["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(targets
            .iter()
            .map(|target| {
                (
                    target["labels"]["job"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    target["lastError"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect())
    }

    /// The label sets of the series `selector` matches, from `/api/v1/series`.
    ///
    /// # Errors
    /// When the API fails.
    pub fn series(&self, selector: &str) -> anyhow::Result<Vec<BTreeMap<String, String>>> {
        let mut response = self
            .agent
            .get(&format!("{}/api/v1/series", self.url))
            .query("match[]", selector)
            .call()
            .with_context(|| format!("series {selector}"))?;
        let body: serde_json::Value = response.body_mut().read_json().context("series JSON")?;
        if body["status"] != "success" {
            bail!("series {selector} failed: {body}");
        }
        Ok(serde_json::from_value(body["data"].clone())?)
    }

    /// The `trace_id` of every exemplar stored for `query` over the last hour, from
    /// `/api/v1/query_exemplars` (needs `--enable-feature=exemplar-storage`, which
    /// [`Prometheus::start`] passes).
    ///
    /// # Errors
    /// When the API fails.
    pub fn exemplar_trace_ids(&self, query: &str) -> anyhow::Result<Vec<String>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        let mut response = self
            .agent
            .get(&format!("{}/api/v1/query_exemplars", self.url))
            .query("query", query)
            .query("start", (now - 3600).to_string())
            .query("end", (now + 60).to_string())
            .call()
            .with_context(|| format!("exemplars of {query}"))?;
        let body: serde_json::Value = response.body_mut().read_json().context("exemplar JSON")?;
        if body["status"] != "success" {
            bail!("exemplars of {query} failed: {body}");
        }
        Ok(body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|series| series["exemplars"].as_array().into_iter().flatten())
            .filter_map(|exemplar| exemplar["labels"]["trace_id"].as_str().map(str::to_owned))
            .collect())
    }

    /// The metric type Prometheus' metadata API reports for `metric`.
    ///
    /// # Errors
    /// When the API fails or has no metadata for it.
    pub fn metadata_type(&self, metric: &str) -> anyhow::Result<String> {
        let mut response = self
            .agent
            .get(&format!("{}/api/v1/metadata", self.url))
            .query("metric", metric)
            .call()
            .context("metadata")?;
        let body: serde_json::Value = response.body_mut().read_json().context("metadata JSON")?;
        body["data"][metric][0]["type"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no metadata for {metric}: {body}"))
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `python3` can import `module`; `false` (after saying so) outside CI.
///
/// # Panics
/// When it cannot and `CI=true`.
pub fn require_python_module(module: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        let message = format!(
            "the Python module {module} is not installed (PyPI `{module}`); run scripts/test.sh, which installs it"
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    found
}

/// Waits until something accepts TCP connections on `127.0.0.1:port`.
fn wait_for_port(port: u16, what: &str, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("{what} did not listen on port {port} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The alerts an exporter's own engine lists at `GET /api/alerts` (pending and firing), as JSON.
///
/// # Errors
/// When the exporter does not answer with the alerts' JSON.
pub fn engine_alerts(exporter: SocketAddr) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut response = ureq::get(&format!("http://{exporter}/api/alerts"))
        .call()
        .context("GET /api/alerts")?;
    let body: serde_json::Value = response.body_mut().read_json().context("alerts JSON")?;
    Ok(body["alerts"].as_array().cloned().unwrap_or_default())
}

/// A real SMTP server (PyPI `aiosmtpd`) on loopback that stores every message it accepts in a
/// Maildir, headers `X-MailFrom` and `X-RcptTo` included.
pub struct SmtpServer {
    child: Child,
    dir: tempfile::TempDir,
    /// The port it listens on.
    pub port: u16,
}

impl SmtpServer {
    /// Starts `python3 -m aiosmtpd` and waits until it accepts connections.
    ///
    /// # Errors
    /// When it cannot start or does not listen within 15 s.
    pub fn start() -> anyhow::Result<SmtpServer> {
        SmtpServer::start_on(free_port())
    }

    /// [`SmtpServer::start`] on `port`: for a test that sends before the server is up.
    ///
    /// # Errors
    /// As [`SmtpServer::start`].
    pub fn start_on(port: u16) -> anyhow::Result<SmtpServer> {
        let dir = tempfile::tempdir().context("temp dir")?;
        let log = std::fs::File::create(dir.path().join("smtp.log")).context("log file")?;
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("log file")?)
            .stderr(log)
            .spawn()
            .context("cannot start python3 -m aiosmtpd")?;
        let server = SmtpServer { child, dir, port };
        wait_for_port(port, "aiosmtpd", Duration::from_secs(15))?;
        Ok(server)
    }

    /// Waits until `count` messages arrived (at most `timeout`) and returns them, raw.
    ///
    /// # Errors
    /// When the Maildir cannot be read.
    pub fn wait_for_messages(
        &self,
        count: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<String>> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut messages = Vec::new();
            if let Ok(entries) = std::fs::read_dir(self.dir.path().join("maildir/new")) {
                for entry in entries {
                    messages.push(std::fs::read_to_string(entry?.path())?);
                }
            }
            if messages.len() >= count || Instant::now() > deadline {
                return Ok(messages);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes an Alertmanager configuration into `dir` that sends every group, by `group_by`,
/// fast (1 s wait and interval, 1 h repeat) with its resolve, to `receiver`'s
/// `/alertmanager`; returns its path.
///
/// # Errors
/// When the file cannot be written.
pub fn webhook_route_config(
    dir: &Path,
    group_by: &[&str],
    receiver: &str,
) -> anyhow::Result<PathBuf> {
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: test\n  group_by: [{}]\n  group_wait: 1s\n  \
             group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: test\n    webhook_configs:\n      - url: '{receiver}/alertmanager'\n        \
             send_resolved: true\n",
            group_by.join(", ")
        ),
    )
    .context("write alertmanager.yml")?;
    Ok(config)
}

/// A real Alertmanager (Debian `prometheus-alertmanager`) on loopback: alone (cluster mode
/// off) or one member of an HA cluster.
pub struct Alertmanager {
    child: Child,
    dir: tempfile::TempDir,
    /// Its base URL.
    pub url: String,
}

impl Alertmanager {
    /// Starts `binary` with `config` (YAML) and waits until `/-/ready` answers 200.
    ///
    /// # Errors
    /// When it cannot start or is not ready within 30 s (its log is included).
    pub fn start(binary: &Path, config: &Path) -> anyhow::Result<Alertmanager> {
        Alertmanager::start_with(binary, config, &["--cluster.listen-address=".to_owned()])
    }

    /// Starts one member of an HA cluster on loopback: gossiping on `cluster_port` with the
    /// members at `peers` (ports), settling fast, as tests need.
    ///
    /// # Errors
    /// As [`Alertmanager::start`].
    pub fn start_clustered(
        binary: &Path,
        config: &Path,
        cluster_port: u16,
        peers: &[u16],
    ) -> anyhow::Result<Alertmanager> {
        let mut args = vec![
            format!("--cluster.listen-address=127.0.0.1:{cluster_port}"),
            format!("--cluster.advertise-address=127.0.0.1:{cluster_port}"),
            "--cluster.peer-timeout=3s".to_owned(),
            "--cluster.gossip-interval=100ms".to_owned(),
            "--cluster.pushpull-interval=1s".to_owned(),
        ];
        args.extend(
            peers
                .iter()
                .map(|peer| format!("--cluster.peer=127.0.0.1:{peer}")),
        );
        Alertmanager::start_with(binary, config, &args)
    }

    fn start_with(binary: &Path, config: &Path, args: &[String]) -> anyhow::Result<Alertmanager> {
        let dir = tempfile::tempdir().context("temp dir")?;
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(dir.path().join("alertmanager.log")).context("log file")?;
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--web.external-url={url}"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("log file")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let alertmanager = Alertmanager { child, dir, url };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = ureq::get(&format!("{}/-/ready", alertmanager.url))
                .call()
                .is_ok_and(|response| response.status() == 200);
            if ready {
                return Ok(alertmanager);
            }
            if Instant::now() > deadline {
                bail!(
                    "Alertmanager not ready within 30 s:\n{}",
                    alertmanager.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("alertmanager.log")).unwrap_or_default()
    }

    /// Waits until this member's cluster is `ready` with `peers` members (itself included), as
    /// `GET /api/v2/status` reports: before that, each member would notify as the first.
    ///
    /// # Errors
    /// When it does not within `timeout`; the last status is named.
    pub fn wait_for_cluster(&self, peers: usize, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let mut last = serde_json::Value::Null;
        while Instant::now() < deadline {
            if let Ok(mut response) = ureq::get(&format!("{}/api/v2/status", self.url)).call()
                && let Ok(status) = response.body_mut().read_json::<serde_json::Value>()
            {
                let cluster = &status["cluster"];
                if cluster["status"] == "ready"
                    && cluster["peers"]
                        .as_array()
                        .is_some_and(|p| p.len() == peers)
                {
                    return Ok(());
                }
                last = cluster.clone();
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!(
            "the Alertmanager cluster did not form with {peers} members within {timeout:?}: {last}"
        )
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP receiver on loopback that keeps every request it accepts, for webhooks.
pub use victor_test_support::WebhookReceiver;
