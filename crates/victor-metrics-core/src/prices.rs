//! LLM prices pinned in the crate: what a call cost when its caller does not say.
//!
//! Peers fetch price lists at start-up, so a start needs the network and prices change under a
//! running service. Here every price is compiled in, with the date it took effect and where it
//! was read; a call is priced with the entry in effect on its date. [`PriceTable::builtin`] is
//! the table of this release ([`PRICE_TABLE_VERSION`]); [`PriceTable::with_override`] adds or
//! replaces entries (the exporter's `[[prices]]` in its configuration file). A model the table
//! does not know is not guessed at: its tokens are recorded and the call is counted as unpriced
//! (`victor_llm_unpriced_calls_total`).
//!
//! A model matches an entry by exact name first, then by the entry's pattern: a name ending in
//! `*` matches every model that starts with what precedes it (`claude-sonnet-4-5*` matches the
//! dated `claude-sonnet-4-5-20250929`), and `*` alone every model of the provider.
//!
//! ```
//! use victor_metrics_core::prices::{Date, PriceTable, TokenUsage};
//!
//! let table = PriceTable::builtin();
//! let usage = TokenUsage { input: 1_000_000, output: 100_000, cached_input: 0 };
//! let on = Date::parse("2026-06-01")?;
//! // $3 per million input tokens, $15 per million output tokens.
//! let cost = table.cost("anthropic", "claude-sonnet-4-5-20250929", usage, on).expect("priced");
//! assert!((cost - 4.5).abs() < 1e-9);
//! assert_eq!(table.cost("acme", "mystery-1", usage, on), None);
//! # Ok::<(), victor_metrics_core::prices::PriceError>(())
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use thiserror::Error;

/// The built-in table's version: the date it was last reviewed. Exposed as
/// `victor_llm_price_table_info{version}`.
pub const PRICE_TABLE_VERSION: &str = "2026-11-30";

/// A calendar date (UTC), as prices take effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a price or a date was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PriceError {
    /// Not a `YYYY-MM-DD` date.
    #[error("{0:?} is not a date; expected YYYY-MM-DD")]
    Date(String),
    /// A price that is negative or not a number.
    #[error(
        "{field} of {provider}/{model} must be a non-negative number of US dollars, not {value}"
    )]
    Price {
        /// The provider.
        provider: String,
        /// The model or pattern.
        model: String,
        /// Which price.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// An empty provider or model.
    #[error("a price needs a provider and a model (or pattern)")]
    Name,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    ///
    /// # Errors
    /// [`PriceError::Date`] for anything else, or a day the month lacks.
    pub fn parse(text: &str) -> Result<Date, PriceError> {
        let refused = || PriceError::Date(text.to_owned());
        let mut parts = text.trim().splitn(3, '-');
        let mut next = |digits: usize| {
            parts
                .next()
                .filter(|part| part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|part| part.parse::<u16>().ok())
                .ok_or_else(refused)
        };
        let (year, month, day) = (next(4)?, next(2)?, next(2)?);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(refused()),
        };
        if !(1..=days_in_month).contains(&day) {
            return Err(refused());
        }
        Ok(Date {
            year,
            month: month as u8,
            day: day as u8,
        })
    }

    /// The UTC date of `at`.
    pub fn of(at: SystemTime) -> Date {
        let days = at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() / 86_400) as i64;
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: year.clamp(0, 9999) as u16,
            month: month as u8,
            day: day as u8,
        }
    }

    /// Today's UTC date.
    pub fn today() -> Date {
        Date::of(SystemTime::now())
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Tokens of one call, by how they are priced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// Input (prompt) tokens not read from the provider's prompt cache.
    pub input: u64,
    /// Output (completion) tokens.
    pub output: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cached_input: u64,
}

/// One price: a provider's model (or pattern), in US dollars per million tokens, from a date.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Price {
    /// The provider, as `LlmCall::provider` names it (`anthropic`, `openai`, `ollama`).
    pub provider: String,
    /// The model's exact name, or a pattern: `prefix*`, or `*` for every model.
    pub model: String,
    /// The first day this price applies.
    pub effective: Date,
    /// US dollars per million input tokens.
    pub input_per_mtok: f64,
    /// US dollars per million output tokens.
    pub output_per_mtok: f64,
    /// US dollars per million cached input tokens.
    pub cached_input_per_mtok: f64,
    /// Where the price was read.
    pub source: String,
}

impl Price {
    /// A price, checked.
    ///
    /// # Errors
    /// [`PriceError`] for an empty name or a negative or non-finite price.
    pub fn new(
        provider: &str,
        model: &str,
        effective: Date,
        [input, output, cached_input]: [f64; 3],
        source: &str,
    ) -> Result<Price, PriceError> {
        if provider.trim().is_empty() || model.trim().is_empty() {
            return Err(PriceError::Name);
        }
        for (field, value) in [
            ("input_per_mtok", input),
            ("output_per_mtok", output),
            ("cached_input_per_mtok", cached_input),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(PriceError::Price {
                    provider: provider.to_owned(),
                    model: model.to_owned(),
                    field,
                    value,
                });
            }
        }
        Ok(Price {
            provider: provider.to_owned(),
            model: model.to_owned(),
            effective,
            input_per_mtok: input,
            output_per_mtok: output,
            cached_input_per_mtok: cached_input,
            source: source.to_owned(),
        })
    }

    /// How this entry matches `model`: exactly (`Some(usize::MAX)`), by pattern (the length of
    /// its prefix, so the longest pattern wins), or not at all.
    fn matches(&self, model: &str) -> Option<usize> {
        if self.model == model {
            return Some(usize::MAX);
        }
        let prefix = self.model.strip_suffix('*')?;
        model.starts_with(prefix).then_some(prefix.len())
    }

    /// The cost of `usage` at this price.
    pub fn cost(&self, usage: TokenUsage) -> f64 {
        (usage.input as f64 * self.input_per_mtok
            + usage.output as f64 * self.output_per_mtok
            + usage.cached_input as f64 * self.cached_input_per_mtok)
            / 1e6
    }
}

/// The built-in prices: (provider, model or pattern, effective date, input, output, cached input
/// per million tokens, source).
const BUILTIN: &[(&str, &str, &str, [f64; 3], &str)] = &[
    (
        "anthropic",
        "claude-sonnet-4-5*",
        "2025-09-29",
        [3.0, 15.0, 0.30],
        "https://docs.claude.com/en/docs/about-claude/pricing",
    ),
    (
        "anthropic",
        "claude-haiku-4-5*",
        "2025-10-15",
        [1.0, 5.0, 0.10],
        "https://docs.claude.com/en/docs/about-claude/pricing",
    ),
    (
        "anthropic",
        "claude-opus-4-1*",
        "2025-08-05",
        [15.0, 75.0, 1.50],
        "https://docs.claude.com/en/docs/about-claude/pricing",
    ),
    (
        "openai",
        "gpt-4o",
        "2024-10-02",
        [2.50, 10.0, 1.25],
        "https://openai.com/api/pricing/",
    ),
    (
        "openai",
        "gpt-4o-2024-08-06",
        "2024-08-06",
        [2.50, 10.0, 1.25],
        "https://openai.com/api/pricing/",
    ),
    (
        "openai",
        "gpt-4o-mini*",
        "2024-07-18",
        [0.15, 0.60, 0.075],
        "https://openai.com/api/pricing/",
    ),
    (
        "ollama",
        "*",
        "2023-01-01",
        [0.0, 0.0, 0.0],
        "local models served by Ollama cost no per-token fee",
    ),
];

/// Prices by provider and model, each from its date.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriceTable {
    /// [`PRICE_TABLE_VERSION`], with `+overrides` when entries were added or replaced.
    pub version: String,
    /// Every entry.
    pub prices: Vec<Price>,
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable::builtin()
    }
}

impl PriceTable {
    /// The table compiled into this release.
    pub fn builtin() -> PriceTable {
        let prices = BUILTIN
            .iter()
            .filter_map(|(provider, model, effective, prices, source)| {
                // Checked by the unit test below: every built-in entry is valid.
                let effective = Date::parse(effective).ok()?;
                Price::new(provider, model, effective, *prices, source).ok()
            })
            .collect();
        PriceTable {
            version: PRICE_TABLE_VERSION.to_owned(),
            prices,
        }
    }

    /// This table with `price` added, replacing an entry for the same provider, model and
    /// date.
    #[must_use]
    pub fn with_override(mut self, price: Price) -> PriceTable {
        self.prices.retain(|entry| {
            (&entry.provider, &entry.model, entry.effective)
                != (&price.provider, &price.model, price.effective)
        });
        self.prices.push(price);
        if !self.version.ends_with("+overrides") {
            self.version.push_str("+overrides");
        }
        self
    }

    /// The price in effect for `provider`'s `model` on `on`: among the entries that match
    /// (exact name before the longest pattern), the latest that took effect by then.
    pub fn price(&self, provider: &str, model: &str, on: Date) -> Option<&Price> {
        self.prices
            .iter()
            .filter(|price| price.provider == provider && price.effective <= on)
            .filter_map(|price| price.matches(model).map(|rank| (rank, price)))
            .max_by_key(|(rank, price)| (*rank, price.effective))
            .map(|(_, price)| price)
    }

    /// What `usage` of `provider`'s `model` cost on `on`; `None` when no price is known.
    pub fn cost(&self, provider: &str, model: &str, usage: TokenUsage, on: Date) -> Option<f64> {
        self.price(provider, model, on)
            .map(|price| price.cost(usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).expect("date")
    }

    #[test]
    fn every_builtin_entry_is_valid_and_every_documented_model_is_priced() {
        assert_eq!(PriceTable::builtin().prices.len(), BUILTIN.len());
        let table = PriceTable::builtin();
        for (provider, model) in [
            ("anthropic", "claude-sonnet-4-5"),
            ("anthropic", "claude-haiku-4-5"),
            ("openai", "gpt-4o"),
            ("openai", "gpt-4o-mini"),
            ("ollama", "llama3.1:8b"),
        ] {
            assert!(
                table.price(provider, model, Date::today()).is_some(),
                "{provider}/{model} has no price"
            );
        }
        let usage = TokenUsage {
            input: 5_000,
            output: 700,
            cached_input: 0,
        };
        assert_eq!(
            table.cost("ollama", "llama3.1:8b", usage, Date::today()),
            Some(0.0)
        );
    }

    #[test]
    fn the_price_in_effect_on_the_date_applies_exact_names_before_patterns() {
        let table = PriceTable::builtin()
            .with_override(
                Price::new(
                    "openai",
                    "gpt-4o",
                    date("2027-01-01"),
                    [2.0, 8.0, 1.0],
                    "test",
                )
                .expect("price"),
            )
            .with_override(
                Price::new("openai", "gpt-4o*", date("2020-01-01"), [9.0; 3], "test")
                    .expect("price"),
            );
        assert!(table.version.ends_with("+overrides"));
        let usage = TokenUsage {
            input: 1_000_000,
            output: 1_000_000,
            cached_input: 1_000_000,
        };
        // Before the override took effect, the built-in price; from its date, the override.
        assert_eq!(
            table.cost("openai", "gpt-4o", usage, date("2026-12-31")),
            Some(2.5 + 10.0 + 1.25)
        );
        assert_eq!(
            table.cost("openai", "gpt-4o", usage, date("2027-01-01")),
            Some(2.0 + 8.0 + 1.0)
        );
        // The longer pattern wins over the shorter one.
        assert_eq!(
            table.cost(
                "openai",
                "gpt-4o-mini-2024-07-18",
                usage,
                date("2026-01-01")
            ),
            Some(0.15 + 0.60 + 0.075)
        );
        assert_eq!(
            table.cost("openai", "gpt-4o-audio", usage, date("2026-01-01")),
            Some(27.0)
        );
        // Before any price took effect there is none.
        assert_eq!(
            table.cost("anthropic", "claude-haiku-4-5", usage, date("2025-10-14")),
            None
        );
    }

    #[test]
    fn dates_parse_strictly_and_convert_from_the_clock() {
        assert_eq!(date("2024-02-29").to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "soon",
            "",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        let at = UNIX_EPOCH + std::time::Duration::from_secs(1_764_633_600); // 2025-12-02
        assert_eq!(Date::of(at).to_string(), "2025-12-02");
        assert_eq!(Date::of(UNIX_EPOCH).to_string(), "1970-01-01");
        assert!(Price::new("a", "b", date("2025-01-01"), [-1.0, 0.0, 0.0], "").is_err());
        assert!(Price::new("a", "b", date("2025-01-01"), [f64::NAN, 0.0, 0.0], "").is_err());
    }
}
