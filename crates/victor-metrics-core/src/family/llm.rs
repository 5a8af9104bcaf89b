//! LLM calls and the provider pool: calls, latency, tokens, cost, errors, provider health and
//! the windowed provider success rate.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use metrics::{Counter, Histogram};
use serde::Serialize;

use super::{CatalogSeries, SeriesStats, Totals, bool_label, breakdown, label_enum, owned};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};
use crate::prices::{Date, PriceTable, TokenUsage};
use crate::series::{SeriesCache, register_counter, register_histogram};
use crate::stats::{Tally, Window};
use crate::summary::{Breakdown, LlmSummary};

label_enum! {
    /// The GenAI operation of an LLM call (OpenTelemetry `gen_ai.operation.name`).
    LlmOperation, "LLM operation" {
        /// A chat completion.
        Chat = "chat",
        /// A plain text completion.
        TextCompletion = "text_completion",
        /// An embeddings request.
        Embeddings = "embeddings",
    }
}

/// One LLM call, for [`Providers::record_llm_call`].
#[derive(Clone, Copy, Debug)]
pub struct LlmCall<'a> {
    /// The provider (`anthropic`, `openai`).
    pub provider: &'a str,
    /// The requested model.
    pub model: &'a str,
    /// The GenAI operation.
    pub operation: LlmOperation,
    /// Prompt (input) tokens.
    pub prompt_tokens: u64,
    /// Completion (output) tokens.
    pub completion_tokens: u64,
    /// Of the prompt tokens, those the provider read from its prompt cache, priced at the
    /// cached-input rate; 0 when unknown.
    pub cached_prompt_tokens: u64,
    /// The cost in US dollars as the caller knows it; `None`: estimated from the price table
    /// in effect on the call's date ([`crate::prices`]), or, for a model the table lacks,
    /// counted in `victor_llm_unpriced_calls_total` and not guessed.
    pub cost_usd: Option<f64>,
    /// Whether the response used tool calls.
    pub tool_calls: bool,
    /// Time to the full response.
    pub duration: Duration,
    /// Why it failed (`rate_limit`, `timeout`, ...), `None` on success.
    pub error_type: Option<&'a str>,
    /// The model that answered, when the provider says (`gen_ai.response.model`); `None`: the
    /// requested model.
    pub response_model: Option<&'a str>,
    /// For a streamed call, the time from the request to the first chunk; `None` otherwise.
    pub time_to_first_token: Option<Duration>,
    /// Why the answer ended (`stop`, `length`, `tool_calls`, …), when the provider says.
    pub finish_reason: Option<&'a str>,
}

/// The LLM and provider-pool family ([`Group::Llm`], [`Group::Provider`]).
pub struct Providers {
    catalog: Arc<CatalogSeries>,
    prices: PriceTable,
    unpriced: SeriesCache<Counter>,
    finish_reasons: SeriesCache<Counter>,
    gen_ai: SeriesCache<GenAiSeries>,
    gen_ai_streams: SeriesCache<GenAiStreamSeries>,
    series: SeriesCache<LlmSeries>,
    errors: SeriesCache<Counter>,
    health: Mutex<BTreeMap<String, bool>>,
    window: Mutex<Window<(Box<str>, Box<str>)>>,
}

/// One call shape's OpenTelemetry GenAI client series.
struct GenAiSeries {
    duration: Histogram,
    input_tokens: Histogram,
    output_tokens: Histogram,
}

/// A streamed call shape's GenAI chunk-timing series.
struct GenAiStreamSeries {
    first_chunk: Histogram,
    per_chunk: Histogram,
}

struct LlmSeries {
    requests: Counter,
    duration: Histogram,
    prompt_tokens: Counter,
    completion_tokens: Counter,
    cost: Histogram,
    provider_requests: Counter,
    provider_latency: Histogram,
    stats: SeriesStats,
    prompt_token_count: AtomicU64,
    completion_token_count: AtomicU64,
    cost_micro_usd: AtomicU64,
}

/// The `/api/performance/providers` view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProvidersView {
    /// One row per provider, most called first.
    pub providers: Vec<ProviderRow>,
    /// Providers last reported healthy.
    pub healthy: usize,
    /// Providers whose health was ever reported.
    pub known: usize,
}

/// One provider's calls since start and its last reported health.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProviderRow {
    /// Calls, errors and latency.
    #[serde(flatten)]
    pub calls: Breakdown,
    /// As last set by [`Providers::set_provider_health`]; `null` when never set.
    pub healthy: Option<bool>,
}

impl Providers {
    pub(crate) fn new(catalog: Arc<CatalogSeries>, prices: PriceTable) -> Self {
        Providers {
            prices,
            unpriced: SeriesCache::new(cat::LLM_UNPRICED_CALLS_TOTAL.def().name(), catalog.limit),
            finish_reasons: SeriesCache::new(
                cat::LLM_FINISH_REASONS_TOTAL.def().name(),
                catalog.limit,
            ),
            gen_ai: SeriesCache::new(
                cat::GEN_AI_CLIENT_OPERATION_DURATION_SECONDS.def().name(),
                catalog.limit,
            ),
            gen_ai_streams: SeriesCache::new(
                cat::GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK_SECONDS
                    .def()
                    .name(),
                catalog.limit,
            ),
            series: SeriesCache::new(cat::LLM_REQUESTS_TOTAL.def().name(), catalog.limit),
            errors: SeriesCache::new(cat::LLM_ERRORS_TOTAL.def().name(), catalog.limit),
            health: Mutex::default(),
            window: Mutex::new(Window::new(catalog.window, catalog.started)),
            catalog,
        }
    }

    /// Records one LLM call: the `victor_llm_*` metrics (requests, duration, tokens, cost, errors)
    /// and the provider pool's `victor_provider_requests_total` and latency. A call without a
    /// cost is priced from the table; one the table cannot price is counted as unpriced.
    pub fn record_llm_call(&self, call: &LlmCall<'_>) {
        self.record_llm_call_priced(call);
    }

    /// [`Providers::record_llm_call`], returning the cost recorded: the caller's, the price
    /// table's estimate, or `None` for an unpriced call.
    pub fn record_llm_call_priced(&self, call: &LlmCall<'_>) -> Option<f64> {
        let seconds = call.duration.as_secs_f64();
        let cost = call.cost_usd.or_else(|| {
            let cached_input = call.cached_prompt_tokens.min(call.prompt_tokens);
            let usage = TokenUsage {
                input: call.prompt_tokens - cached_input,
                output: call.completion_tokens,
                cached_input,
            };
            let cost = self
                .prices
                .cost(call.provider, call.model, usage, Date::today());
            if cost.is_none() {
                self.unpriced.with(
                    &[call.provider, call.model],
                    |labels| register_counter(cat::LLM_UNPRICED_CALLS_TOTAL.def(), labels),
                    |unpriced| unpriced.increment(1),
                );
            }
            cost
        });
        let success = call.error_type.is_none();
        let status = if success { "success" } else { "failure" };
        let labels = [
            call.provider,
            call.model,
            call.operation.as_str(),
            status,
            bool_label(call.tool_calls),
        ];
        self.series.with(
            &labels,
            |l| {
                let (provider, model, operation) = (l[0], l[1], l[2]);
                LlmSeries {
                    requests: register_counter(
                        cat::LLM_REQUESTS_TOTAL.def(),
                        &[provider, model, operation],
                    ),
                    duration: register_histogram(
                        cat::LLM_DURATION_SECONDS.def(),
                        &[provider, model, operation],
                    ),
                    prompt_tokens: register_counter(
                        cat::LLM_TOKENS_TOTAL.def(),
                        &[provider, model, "prompt"],
                    ),
                    completion_tokens: register_counter(
                        cat::LLM_TOKENS_TOTAL.def(),
                        &[provider, model, "completion"],
                    ),
                    cost: register_histogram(cat::LLM_COST_USD.def(), &[provider, model]),
                    provider_requests: register_counter(
                        cat::PROVIDER_REQUESTS_TOTAL.def(),
                        &[provider, model, l[3], l[4]],
                    ),
                    provider_latency: register_histogram(
                        cat::PROVIDER_LATENCY_SECONDS.def(),
                        &[provider, model],
                    ),
                    stats: SeriesStats::new(cat::LLM_DURATION_SECONDS.def()),
                    prompt_token_count: AtomicU64::new(0),
                    completion_token_count: AtomicU64::new(0),
                    cost_micro_usd: AtomicU64::new(0),
                }
            },
            |series| {
                series.requests.increment(1);
                series.duration.record(seconds);
                series.prompt_tokens.increment(call.prompt_tokens);
                series.completion_tokens.increment(call.completion_tokens);
                if let Some(cost) = cost {
                    series.cost.record(cost);
                }
                series.provider_requests.increment(1);
                series.provider_latency.record(seconds);
                series.stats.record(!success, seconds);
                series
                    .prompt_token_count
                    .fetch_add(call.prompt_tokens, Ordering::Relaxed);
                series
                    .completion_token_count
                    .fetch_add(call.completion_tokens, Ordering::Relaxed);
                // Saturating cast: a negative or NaN cost counts as zero.
                let micro_usd = (cost.unwrap_or(0.0) * 1e6) as u64;
                series
                    .cost_micro_usd
                    .fetch_add(micro_usd, Ordering::Relaxed);
            },
        );
        self.record_gen_ai(call, seconds);
        if let Some(reason) = call.finish_reason {
            self.finish_reasons.with(
                &[call.provider, call.model, reason],
                |labels| register_counter(cat::LLM_FINISH_REASONS_TOTAL.def(), labels),
                |reasons| reasons.increment(1),
            );
        }
        if let Some(error_type) = call.error_type {
            let labels = [
                call.provider,
                call.model,
                call.operation.as_str(),
                error_type,
            ];
            self.errors.with(
                &labels,
                |labels| register_counter(cat::LLM_ERRORS_TOTAL.def(), labels),
                |errors| errors.increment(1),
            );
        }
        cost
    }

    /// The OpenTelemetry GenAI client metrics of one call: operation duration (with
    /// `error_type` on failure), input and output token usage, and for a streamed call the time
    /// to the first chunk and per output chunk after it.
    fn record_gen_ai(&self, call: &LlmCall<'_>, seconds: f64) {
        let operation = call.operation.as_str();
        let response_model = call.response_model.unwrap_or(call.model);
        let shape = [
            operation,
            call.provider,
            call.model,
            response_model,
            call.error_type.unwrap_or(""),
        ];
        self.gen_ai.with(
            &shape,
            |l| {
                let tokens = |kind| {
                    register_histogram(
                        cat::GEN_AI_CLIENT_TOKEN_USAGE.def(),
                        &[l[0], l[1], l[2], l[3], kind],
                    )
                };
                GenAiSeries {
                    duration: register_histogram(
                        cat::GEN_AI_CLIENT_OPERATION_DURATION_SECONDS.def(),
                        l,
                    ),
                    input_tokens: tokens("input"),
                    output_tokens: tokens("output"),
                }
            },
            |series| {
                series.duration.record(seconds);
                series.input_tokens.record(call.prompt_tokens as f64);
                series.output_tokens.record(call.completion_tokens as f64);
            },
        );
        let Some(first) = call.time_to_first_token else {
            return;
        };
        let first = first.as_secs_f64();
        // The mean time per output token after the first, as calls report totals.
        let per_chunk = (call.completion_tokens > 1)
            .then(|| (seconds - first).max(0.0) / (call.completion_tokens - 1) as f64);
        self.gen_ai_streams.with(
            &shape[..4],
            |l| GenAiStreamSeries {
                first_chunk: register_histogram(
                    cat::GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK_SECONDS.def(),
                    l,
                ),
                per_chunk: register_histogram(
                    cat::GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK_SECONDS.def(),
                    l,
                ),
            },
            |series| {
                series.first_chunk.record(first);
                if let Some(per_chunk) = per_chunk {
                    series.per_chunk.record(per_chunk);
                }
            },
        );
    }

    /// Sets whether the provider pool considers `provider` healthy (`victor_provider_healthy`).
    pub fn set_provider_health(&self, provider: &str, healthy: bool) {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(provider.to_owned(), healthy);
        self.catalog.set(
            &cat::PROVIDER_HEALTHY,
            [provider],
            f64::from(u8::from(healthy)),
        );
    }

    /// Each provider's health as last set.
    pub fn provider_health(&self) -> BTreeMap<String, bool> {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every call since start, with token and cost totals.
    pub fn summary(&self) -> LlmSummary {
        let mut calls = Totals::new(cat::LLM_DURATION_SECONDS.def());
        let (mut prompt_tokens, mut completion_tokens, mut micro_usd) = (0u64, 0u64, 0u64);
        self.series.for_each_series(|series| {
            calls.add(&series.stats);
            prompt_tokens += series.prompt_token_count.load(Ordering::Relaxed);
            completion_tokens += series.completion_token_count.load(Ordering::Relaxed);
            micro_usd += series.cost_micro_usd.load(Ordering::Relaxed);
        });
        LlmSummary {
            calls: calls.summary(),
            prompt_tokens,
            completion_tokens,
            cost_usd: micro_usd as f64 / 1e6,
        }
    }

    /// Per provider (every model and operation together), most called first.
    pub fn provider_breakdown(&self) -> Vec<Breakdown> {
        let mut by_provider: HashMap<Box<str>, Totals> = HashMap::new();
        self.series.for_each(|labels, series| {
            by_provider
                .entry(labels[0].into())
                .or_insert_with(|| Totals::new(cat::LLM_DURATION_SECONDS.def()))
                .add(&series.stats);
        });
        breakdown(by_provider)
    }

    /// Label sets held.
    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }
}

impl Component for Providers {
    type View = ProvidersView;

    fn name(&self) -> &'static str {
        "providers"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::Llm, Group::Provider])
    }

    /// Recomputes `victor_provider_success_rate` per provider and model over the window, and
    /// publishes the price table's version.
    fn refresh(&self) {
        self.catalog.set(
            &cat::LLM_PRICE_TABLE_INFO,
            [self.prices.version.as_str()],
            1.0,
        );
        let mut tallies: HashMap<(Box<str>, Box<str>), Tally> = HashMap::new();
        self.series.for_each(|labels, series| {
            tallies
                .entry((labels[0].into(), labels[1].into()))
                .or_default()
                .add(series.stats.tally());
        });
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        for ((provider, model), change, _) in window.advance(Instant::now(), tallies) {
            self.catalog.set(
                &cat::PROVIDER_SUCCESS_RATE,
                [&provider, &model],
                change.ratio(),
            );
        }
    }

    fn view(&self) -> Option<ProvidersView> {
        let health = self.provider_health();
        let providers = self
            .provider_breakdown()
            .into_iter()
            .map(|calls| ProviderRow {
                healthy: health.get(&calls.name).copied(),
                calls,
            })
            .collect();
        Some(ProvidersView {
            providers,
            healthy: health.values().filter(|healthy| **healthy).count(),
            known: health.len(),
        })
    }
}
