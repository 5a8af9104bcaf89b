//! A synthetic Victor workload, so every dashboard panel and alert can be seen working with no
//! real agent (`victor-exporter --simulate`).
//!
//! The first tick records every catalog metric; after that, each tick (10 per second) records a
//! realistic mix: ~20 requests/s over a few endpoints, LLM calls to several providers and models
//! with token counts and costs, tool executions across the five verticals, cache and
//! tool-selection lookups, coordinator runs, sessions, and slowly drifting gauges. Latencies are
//! log-normal around per-operation medians. For 3 minutes of every 10 the workload runs an
//! *incident*: more 5xx, slower tools and providers, a rate-limited provider and a colder cache,
//! so the alert rules have something to fire on.

use std::f64::consts::TAU;
use std::time::{Duration, Instant};

use victor_metrics_core::{
    AgentMode, LlmCall, LlmOperation, Request, SecuritySignal, SystemSample, ToolExecution,
    ToolStatus, VerticalActivity, VictorMetrics,
};

/// How often the workload ticks.
pub const TICK: Duration = Duration::from_millis(100);

const ENDPOINTS: [(&str, &str, f64); 5] = [
    ("/chat", "POST", 1.2),
    ("/chat/stream", "POST", 2.5),
    ("/tools/execute", "POST", 0.15),
    ("/api/sessions", "POST", 0.02),
    ("/api/workflows/run", "POST", 4.0),
];
/// Costs come from the pinned price table (`victor_metrics_core::prices`), as an agent that
/// reports none gets them.
const MODELS: [(&str, &str, f64); 5] = [
    // provider, model, median seconds
    ("anthropic", "claude-sonnet-4-5", 2.0),
    ("anthropic", "claude-haiku-4-5", 0.7),
    ("openai", "gpt-4o", 1.8),
    ("openai", "gpt-4o-mini", 0.6),
    ("ollama", "llama3.1:8b", 1.1),
];
const TOOLS: [(&str, &str, f64); 10] = [
    // tool, vertical, median seconds
    ("read_file", "coding", 0.02),
    ("write_file", "coding", 0.03),
    ("edit_file", "coding", 0.05),
    ("run_tests", "coding", 4.0),
    ("code_search", "rag", 0.15),
    ("semantic_search", "rag", 0.3),
    ("bash", "devops", 0.8),
    ("docker_ps", "devops", 0.4),
    ("sql_query", "dataanalysis", 0.6),
    ("web_search", "research", 1.5),
];
const MODES: [AgentMode; 3] = [AgentMode::Build, AgentMode::Plan, AgentMode::Explore];
const INTERFACES: [&str; 4] = ["cli", "tui", "api", "mcp"];
const CACHES: [&str; 3] = ["tool_selection", "embeddings", "responses"];
const NAMESPACES: [&str; 3] = ["query", "context", "rl"];
const COORDINATORS: [&str; 3] = ["ToolCoordinator", "ChatCoordinator", "ProviderCoordinator"];
const VERTICALS: [&str; 5] = ["coding", "rag", "devops", "dataanalysis", "research"];

/// The synthetic workload's state.
pub struct Simulator {
    metrics: VictorMetrics,
    rng: fastrand::Rng,
    started: Instant,
    ticks: u64,
    server_error_rate: Option<f64>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("ticks", &self.ticks)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// A workload recording into `metrics`, seeded for reproducible runs.
    pub fn new(metrics: VictorMetrics, seed: u64) -> Self {
        Simulator {
            metrics,
            rng: fastrand::Rng::with_seed(seed),
            started: Instant::now(),
            ticks: 0,
            server_error_rate: None,
        }
    }

    /// Makes this share of requests fail with a 5xx, all the time, in place of the workload's
    /// own 1% (9% during incidents): `--simulate-error-rate 0.3` drives the error-rate alerts.
    #[must_use]
    pub fn with_server_error_rate(mut self, rate: f64) -> Self {
        self.server_error_rate = Some(rate.clamp(0.0, 1.0));
        self
    }

    /// Whether the workload is in its incident phase (minutes 7 to 10 of every 10).
    pub fn in_incident(&self) -> bool {
        self.started.elapsed().as_secs() % 600 >= 420
    }

    /// Records one tick's worth of activity (the first tick records every catalog metric).
    pub fn tick(&mut self) {
        if self.ticks == 0 {
            self.record_start_up();
        }
        self.ticks += 1;
        let incident = self.in_incident();
        for _ in 0..2 {
            self.request(incident);
        }
        if self.chance(0.6) {
            self.llm_call(incident);
        }
        for _ in 0..self.rng.usize(1..=3) {
            self.tool_execution(incident);
        }
        self.caches(incident);
        if self.chance(0.2) {
            let name = COORDINATORS[self.rng.usize(..COORDINATORS.len())];
            let duration = self.latency(0.3, 0.6);
            let success = !self.chance(if incident { 0.08 } else { 0.01 });
            self.metrics
                .agentic()
                .record_coordinator_run(name, duration, success);
        }
        if self.chance(0.05) {
            self.session();
        }
        if self.chance(0.1) {
            self.vertical_activity();
        }
        if self.ticks % 10 == 1 {
            self.gauges(incident);
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    /// A log-normal latency around `median` seconds.
    fn latency(&mut self, median: f64, sigma: f64) -> Duration {
        // Box–Muller: one standard normal sample from two uniforms.
        let (u1, u2) = (self.rng.f64().max(f64::MIN_POSITIVE), self.rng.f64());
        let normal = (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos();
        Duration::from_secs_f64((median * (sigma * normal).exp()).min(600.0))
    }

    fn request(&mut self, incident: bool) {
        let (endpoint, method, median) = ENDPOINTS[self.rng.usize(..ENDPOINTS.len())];
        let slow = if incident { 3.0 } else { 1.0 };
        let duration = self.latency(median * slow, 0.7);
        let roll = self.rng.f64();
        let server_errors = self
            .server_error_rate
            .unwrap_or(if incident { 0.09 } else { 0.01 });
        let (status, error_type) = if roll < server_errors {
            (if self.chance(0.5) { 500 } else { 503 }, None)
        } else if roll < server_errors + 0.01 {
            (429, Some("rate_limit"))
        } else if roll < server_errors + 0.03 {
            (400, None)
        } else {
            (200, None)
        };
        let _in_flight = self.metrics.requests().track_request(endpoint, method);
        self.metrics.requests().record_request(&Request {
            endpoint,
            method,
            status,
            duration,
            error_type,
        });
        if endpoint.starts_with("/chat") {
            let provider = MODELS[self.rng.usize(..MODELS.len())].0;
            self.metrics
                .requests()
                .record_chat_request(provider, duration);
        }
    }

    fn llm_call(&mut self, incident: bool) {
        let index = self.rng.usize(..MODELS.len());
        let (provider, model, median) = MODELS[index];
        let degraded = incident && provider == "openai";
        let duration = self.latency(if degraded { median * 6.0 } else { median }, 0.5);
        let prompt_tokens = self.rng.u64(200..6_000);
        let completion_tokens = self.rng.u64(50..1_500);
        let error_type = if degraded && self.chance(0.35) {
            Some("rate_limit")
        } else if self.chance(0.01) {
            Some(if self.chance(0.5) {
                "timeout"
            } else {
                "server_error"
            })
        } else {
            None
        };
        let operation = if self.chance(0.9) {
            LlmOperation::Chat
        } else {
            LlmOperation::Embeddings
        };
        let tool_calls = self.chance(0.4);
        // Most chats stream: the first chunk comes after a fifth to a third of the time.
        let streamed = operation == LlmOperation::Chat && error_type.is_none() && self.chance(0.7);
        let time_to_first_token = streamed.then(|| duration.mul_f64(0.2 + 0.13 * self.rng.f64()));
        let finish_reason = match (error_type, tool_calls) {
            (Some(_), _) => None,
            (None, true) => Some("tool_calls"),
            (None, false) if self.chance(0.03) => Some("length"),
            (None, false) => Some("stop"),
        };
        // Half the calls reuse a cached system prompt: a third of their input.
        let cached_prompt_tokens = if self.chance(0.5) {
            prompt_tokens / 3
        } else {
            0
        };
        self.metrics.providers().record_llm_call(&LlmCall {
            provider,
            model,
            operation,
            prompt_tokens,
            completion_tokens,
            cached_prompt_tokens,
            cost_usd: None,
            tool_calls,
            duration,
            error_type,
            response_model: None,
            time_to_first_token,
            finish_reason,
        });
    }

    fn tool_execution(&mut self, incident: bool) {
        let (tool, vertical, median) = TOOLS[self.rng.usize(..TOOLS.len())];
        let mode = MODES[self.rng.usize(..MODES.len())];
        let _running = self.metrics.tools().track_tool(tool);
        let slow = if incident && vertical == "devops" {
            8.0
        } else {
            1.0
        };
        let duration = self.latency(median * slow, 0.6);
        let roll = self.rng.f64();
        let failures = if incident { 0.12 } else { 0.02 };
        let (status, error_type) = if roll < 0.005 || duration.as_secs_f64() > 15.0 {
            (ToolStatus::Timeout, None)
        } else if roll < failures {
            let kind = ["permission_denied", "not_found", "invalid_arguments"][self.rng.usize(..3)];
            (ToolStatus::Failure, Some(kind))
        } else {
            (ToolStatus::Success, None)
        };
        self.metrics.tools().record_tool_execution(&ToolExecution {
            tool,
            vertical,
            mode,
            status,
            duration,
            error_type,
        });
    }

    fn caches(&mut self, incident: bool) {
        let hit_rate = if incident { 0.3 } else { 0.85 };
        for cache in CACHES {
            for _ in 0..3 {
                if self.chance(hit_rate) {
                    self.metrics.caches().record_cache_hit(cache);
                } else {
                    self.metrics.caches().record_cache_miss(cache);
                }
            }
            if self.chance(0.1) {
                self.metrics.caches().record_cache_eviction(cache, 1);
            }
        }
        let namespace = NAMESPACES[self.rng.usize(..NAMESPACES.len())];
        let hit = self.chance(hit_rate);
        let duration = self.latency(if hit { 0.0002 } else { 0.0012 }, 0.5);
        self.metrics
            .caches()
            .record_tool_selection(namespace, duration, hit);
        if self.chance(0.05) {
            self.metrics
                .caches()
                .record_tool_selection_eviction(namespace, 1);
        }
    }

    fn session(&mut self) {
        let interface = INTERFACES[self.rng.usize(..INTERFACES.len())];
        self.metrics.sessions().record_session_started(interface);
        let duration = self.latency(900.0, 0.9);
        self.metrics
            .sessions()
            .record_session_ended(interface, duration, self.rng.u64(1..80));
        let completed = !self.chance(0.05);
        self.metrics.sessions().record_task(completed);
        let workflow = ["code_review", "bug_fix", "deploy", "research_report"][self.rng.usize(..4)];
        let status = if self.chance(0.95) {
            "success"
        } else {
            "failure"
        };
        self.metrics
            .agentic()
            .record_workflow_execution(workflow, status);
        let feature =
            ["semantic_search", "auto_commit", "plan_mode", "web_fetch"][self.rng.usize(..4)];
        self.metrics.agentic().record_feature_usage(feature);
        let vertical = VERTICALS[self.rng.usize(..VERTICALS.len())];
        self.metrics
            .agentic()
            .record_vertical_usage(vertical, MODES[self.rng.usize(..MODES.len())]);
        let operation = ["store", "recall", "forget"][self.rng.usize(..3)];
        let status = if self.chance(0.97) {
            "success"
        } else {
            "failure"
        };
        self.metrics
            .agentic()
            .record_memory_operation(operation, status);
        if self.chance(0.2) {
            self.metrics.agentic().record_skill_discovered(
                ["refactoring", "testing", "deployment"][self.rng.usize(..3)],
            );
            let outcome = ["improved", "unchanged", "regressed"][self.rng.usize(..3)];
            self.metrics.agentic().record_self_improvement_loop(outcome);
        }
    }

    fn vertical_activity(&mut self) {
        use VerticalActivity as A;
        let activity = match self.rng.usize(..10) {
            0 => A::CodingFilesAnalyzed(self.rng.u64(1..20)),
            1 => A::CodingLinesReviewed(self.rng.u64(20..2_000)),
            2 => A::CodingIssuesFound(self.rng.u64(0..5)),
            3 => A::CodingTestsGenerated(self.rng.u64(1..8)),
            4 => A::RagDocumentsIngested(self.rng.u64(1..50)),
            5 => A::RagRetrieval(self.latency(0.04, 0.5)),
            6 => A::DevOpsCiPipelineExecuted,
            7 => A::DataAnalysisQuery(self.latency(0.4, 0.7)),
            8 => A::ResearchSearch,
            _ => A::ResearchSourcesAnalyzed(self.rng.u64(1..10)),
        };
        self.metrics.agentic().record_vertical_activity(activity);
    }

    /// Gauges, once a second: slow drifts with noise, worse during incidents.
    fn gauges(&mut self, incident: bool) {
        let m = &self.metrics;
        let minutes = self.started.elapsed().as_secs_f64() / 60.0;
        let wave = (minutes * TAU / 10.0).sin();
        let uptime = self.started.elapsed() + Duration::from_secs(3_600);
        let rss = (380.0 + 60.0 * wave + if incident { 900.0 } else { 0.0 }) * 1_048_576.0;
        m.system().record_system(&SystemSample {
            process_cpu_percent: 35.0 + 15.0 * wave + if incident { 50.0 } else { 0.0 },
            host_cpu_percent: 40.0 + 10.0 * wave,
            rss_bytes: rss as u64,
            virtual_bytes: 2 << 30,
            memory_limit_bytes: 4 << 30,
            host_memory: Some((16 << 30, (9 << 30) - rss as u64)),
            threads: 28 + self.rng.u64(0..6),
            open_fds: 60 + self.rng.u64(0..20),
            max_fds: 65_536,
            uptime,
            disk: Some(("/var/lib/victor".into(), 40 << 30, 100 << 30)),
            active_connections: 8 + self.rng.u64(0..8),
        });
        for (component, megabytes) in [
            ("orchestrator", 120.0),
            ("providers", 60.0),
            ("tools", 90.0),
        ] {
            m.system()
                .set_memory_usage(component, ((megabytes + 10.0 * wave) * 1_048_576.0) as u64);
        }
        for (i, (provider, ..)) in MODELS.iter().enumerate() {
            let healthy = !(incident && *provider == "openai" && i == 2);
            m.providers().set_provider_health(provider, healthy);
        }
        for cache in CACHES {
            m.caches()
                .set_cache_size(cache, (8.0 + wave) as u64 * 1_048_576);
        }
        for namespace in NAMESPACES {
            let entries = 700 + (200.0 * wave) as u64 + if incident { 250 } else { 0 };
            m.caches()
                .set_tool_selection_cache(namespace, entries, 1_000, entries * 2_048);
        }
        for coordinator in COORDINATORS {
            m.agentic()
                .set_coordinator_resources(coordinator, 50 << 20, 5.0 + 3.0 * wave.abs());
        }
        for interface in INTERFACES {
            m.sessions()
                .set_active_users(interface, 5 + self.rng.u64(0..10));
        }
        for vertical in VERTICALS {
            m.agentic()
                .set_planning_success_rate(vertical, 0.9 + 0.05 * wave);
        }
        m.agentic()
            .set_memory_recall_accuracy("episodic", 0.85 + 0.05 * wave);
        m.agentic().set_memory_recall_accuracy("semantic", 0.9);
        m.agentic().set_proficiency_score("python", 0.8);
        m.agentic().set_proficiency_score("rust", 0.7 + 0.05 * wave);
        m.agentic()
            .record_vertical_activity(VerticalActivity::CodingRefactoringSuccessRate(0.93));
        m.agentic()
            .record_vertical_activity(VerticalActivity::RagSearchAccuracy(0.87 + 0.03 * wave));
        m.agentic()
            .record_vertical_activity(VerticalActivity::RagIndexSize(512 << 20));
        m.agentic()
            .record_vertical_activity(VerticalActivity::DevOpsDeploymentSuccessRate(0.96));
        m.agentic()
            .record_vertical_activity(VerticalActivity::DevOpsContainersManaged(12));
        m.security()
            .record_security(SecuritySignal::AuthorizationSuccessRate(0.985));
        m.security()
            .record_security(SecuritySignal::TestPassRate(if incident {
                0.85
            } else {
                0.97
            }));
        let score = if incident { 45.0 } else { 88.0 + 5.0 * wave };
        m.toolkit().set_health_score(score);
    }

    /// Everything a start-up records once, so every catalog metric exists from the first scrape.
    fn record_start_up(&mut self) {
        let m = self.metrics.clone();
        m.bootstrap()
            .record_initialization(Duration::from_millis(1_850));
        for (phase, millis) in [
            ("config", 40),
            ("providers", 620),
            ("tools", 410),
            ("verticals", 530),
            ("cache_warmup", 250),
        ] {
            m.bootstrap()
                .set_bootstrap_phase(phase, Duration::from_millis(millis));
        }
        m.bootstrap().record_lazy_load("rag_index");
        m.bootstrap().record_lazy_load("embedding_model");
        m.agentic()
            .record_coordinator_run("ToolCoordinator", Duration::from_millis(240), true);
        m.agentic().record_coordinator_run(
            "ProviderCoordinator",
            Duration::from_millis(5_200),
            false,
        );
        m.agentic().record_skill_discovered("refactoring");
        m.agentic().record_self_improvement_loop("improved");
        use VerticalActivity as A;
        for activity in [
            A::CodingFilesAnalyzed(12),
            A::CodingLinesReviewed(840),
            A::CodingIssuesFound(3),
            A::CodingTestsGenerated(4),
            A::RagDocumentsIngested(25),
            A::RagRetrieval(Duration::from_millis(42)),
            A::DevOpsDeployment,
            A::DevOpsCiPipelineExecuted,
            A::DataAnalysisQuery(Duration::from_millis(380)),
            A::DataAnalysisVisualization,
            A::DataAnalysisDataSize(24 << 20),
            A::ResearchSearch,
            A::ResearchCitations(6),
            A::ResearchSourcesAnalyzed(9),
            A::ResearchSynthesis(Duration::from_secs(35)),
        ] {
            m.agentic().record_vertical_activity(activity);
        }
        m.security()
            .record_security(SecuritySignal::FailedAuthorization);
        m.security()
            .record_security(SecuritySignal::VulnerabilityFound { severity: "medium" });
        m.security()
            .record_security(SecuritySignal::Scan(Duration::from_secs(42)));
        m.tools().record_tool_execution(&ToolExecution {
            tool: "bash",
            vertical: "devops",
            mode: AgentMode::Build,
            status: ToolStatus::Failure,
            duration: Duration::from_millis(900),
            error_type: Some("exit_status"),
        });
        m.providers().record_llm_call(&LlmCall {
            provider: "anthropic",
            model: "claude-sonnet-4-5",
            operation: LlmOperation::Chat,
            prompt_tokens: 1_200,
            completion_tokens: 300,
            cached_prompt_tokens: 0,
            cost_usd: Some(0.0135),
            tool_calls: true,
            duration: Duration::from_millis(2_100),
            error_type: Some("overloaded"),
            response_model: None,
            time_to_first_token: None,
            finish_reason: None,
        });
        // A self-hosted model the price table lacks: tokens recorded, counted as unpriced.
        m.providers().record_llm_call(&LlmCall {
            provider: "vllm",
            model: "in-house-7b",
            operation: LlmOperation::Chat,
            prompt_tokens: 900,
            completion_tokens: 120,
            cached_prompt_tokens: 0,
            cost_usd: None,
            tool_calls: false,
            duration: Duration::from_millis(700),
            error_type: None,
            response_model: Some("in-house-7b-2026-11"),
            time_to_first_token: Some(Duration::from_millis(90)),
            // Recorded on the first tick whatever the random calls after it do.
            finish_reason: Some("stop"),
        });
        m.requests().record_request(&Request {
            endpoint: "/chat",
            method: "POST",
            status: 503,
            duration: Duration::from_millis(30),
            error_type: None,
        });
        m.requests()
            .record_chat_request("anthropic", Duration::from_millis(2_400));
        self.session();
        self.gauges(false);
        // The overflow and kind-conflict counters exist from the start at zero ("nothing
        // folded", "no conflict"), so their panels and alerts have a series to show.
        let requests = [victor_metrics_core::catalog::REQUESTS_TOTAL.def().name()];
        for counter in [
            &victor_metrics_core::catalog::METRICS_CARDINALITY_OVERFLOW_TOTAL,
            &victor_metrics_core::catalog::METRICS_KIND_CONFLICTS_TOTAL,
        ] {
            m.counter(counter, requests).increment(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use victor_metrics_core::catalog;
    use victor_metrics_core::exposition::ExpositionBuilder;

    #[test]
    fn first_tick_records_every_catalog_metric() {
        // Whatever the seed: the running exporter seeds at random, so a metric only a lucky
        // draw records would be missing from some starts.
        for seed in 0..32 {
            let (recorder, exposition) = ExpositionBuilder::new().build().expect("catalog buckets");
            let metrics = VictorMetrics::new();
            let text = metrics::with_local_recorder(&recorder, || {
                metrics.toolkit().set_build_info("test"); // as Exporter::new does
                Simulator::new(metrics.clone(), seed).tick();
                metrics.refresh();
                exposition.render()
            });
            // Health, tracing, alerting, ingestion and exporter-traffic metrics come from the
            // exporter's own checker, span pipeline, alert engine, event route and routes, not
            // from the simulated agent; tests/simulate.rs checks that the running exporter
            // exposes them.
            let missing: Vec<&str> = catalog::ALL
                .iter()
                .filter(|def| {
                    !matches!(
                        def.group(),
                        catalog::Group::Health
                            | catalog::Group::Tracing
                            | catalog::Group::Alerting
                            | catalog::Group::Ingestion
                            | catalog::Group::Exporter
                    )
                })
                .map(|def| def.name())
                .filter(|name| !text.contains(&format!("# TYPE {name} ")))
                .collect();
            assert!(
                missing.is_empty(),
                "seed {seed}: not recorded on the first tick: {missing:?}"
            );
        }
    }

    #[test]
    fn server_error_rate_overrides_the_mix() {
        let metrics = VictorMetrics::new();
        let mut simulator = Simulator::new(metrics.clone(), 11).with_server_error_rate(0.3);
        for _ in 0..200 {
            simulator.tick();
        }
        let summary = metrics.summary();
        let error_rate = summary.requests.error_rate.unwrap_or_default();
        // 5xx at 0.3, plus the workload's own 429s and 400s, which count as errors too.
        assert!((0.25..0.42).contains(&error_rate), "{error_rate}");
    }

    #[test]
    fn ticks_produce_traffic_with_some_errors() {
        let metrics = VictorMetrics::new();
        let mut simulator = Simulator::new(metrics.clone(), 11);
        for _ in 0..600 {
            simulator.tick();
        }
        let summary = metrics.summary();
        assert!(
            summary.requests.total >= 1_200,
            "{}",
            summary.requests.total
        );
        let error_rate = summary.requests.error_rate.unwrap_or_default();
        assert!((0.0..0.2).contains(&error_rate), "{error_rate}");
        assert!(summary.tools.total > 600 && summary.llm.calls.total > 200);
        assert!(summary.requests.duration_seconds.p95 > summary.requests.duration_seconds.p50);
    }
}
