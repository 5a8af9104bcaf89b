//! The strings the span helpers attach, made once instead of per span.
//!
//! Spans end on the request thread and are freed on the export thread; with glibc's allocator
//! every string allocated this way takes its slow path, so each allocation cost ~200 ns per
//! sampled span in the benchmark. Names and values are kept per thread (no lock, no sharing);
//! names are leaked once per distinct value in the whole process, up to a bound, so they can be
//! the `'static` span names the SDK takes. Past the bounds, strings are allocated as before.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use opentelemetry::StringValue;

/// Distinct values one thread keeps per kind of string.
const VALUES_PER_THREAD: usize = 1024;

/// Distinct span names leaked in the process, all threads together.
const NAMES: usize = 4096;

thread_local! {
    static VALUES: RefCell<HashMap<Box<str>, Arc<str>>> = RefCell::new(HashMap::new());
    static THREAD_NAMES: RefCell<Names> = RefCell::new(HashMap::new());
}

/// Span names by prefix, then by value: looked up with a `&str`, no key built.
type Names = HashMap<&'static str, HashMap<Box<str>, &'static str>>;

static LEAKED: Mutex<Option<Names>> = Mutex::new(None);
static LEAKED_COUNT: AtomicUsize = AtomicUsize::new(0);

/// An attribute value, shared rather than copied when it was seen before on this thread.
pub(crate) fn value(value: &str) -> StringValue {
    VALUES.with(|values| {
        let mut values = values.borrow_mut();
        if let Some(shared) = values.get(value) {
            return StringValue::from(Arc::clone(shared));
        }
        let shared: Arc<str> = Arc::from(value);
        if values.len() < VALUES_PER_THREAD {
            values.insert(value.into(), Arc::clone(&shared));
        }
        StringValue::from(shared)
    })
}

/// The span name `{prefix} {value}` (`execute_tool read_file`, `chat gpt-4o`).
pub(crate) fn name(prefix: &'static str, value: &str) -> Cow<'static, str> {
    let cached = THREAD_NAMES.with(|names| names.borrow().get(prefix)?.get(value).copied());
    if let Some(name) = cached {
        return Cow::Borrowed(name);
    }
    let Some(name) = leaked(prefix, value) else {
        return Cow::Owned(format!("{prefix} {value}"));
    };
    THREAD_NAMES.with(|names| {
        let mut names = names.borrow_mut();
        let names = names.entry(prefix).or_default();
        if names.len() < VALUES_PER_THREAD {
            names.insert(value.into(), name);
        }
    });
    Cow::Borrowed(name)
}

/// The process-wide `'static` copy of a name, made on first use; `None` past the bound.
fn leaked(prefix: &'static str, value: &str) -> Option<&'static str> {
    let mut leaked = LEAKED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let leaked = leaked
        .get_or_insert_with(HashMap::new)
        .entry(prefix)
        .or_default();
    match leaked.entry(value.into()) {
        Entry::Occupied(entry) => Some(*entry.get()),
        Entry::Vacant(entry) => {
            if LEAKED_COUNT.fetch_add(1, Ordering::Relaxed) >= NAMES {
                return None;
            }
            let name: &'static str = Box::leak(format!("{prefix} {value}").into_boxed_str());
            Some(*entry.insert(name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_are_reused() {
        let first = name("execute_tool", "read_file");
        let second = name("execute_tool", "read_file");
        assert_eq!(first, "execute_tool read_file");
        assert!(
            matches!((&first, &second), (Cow::Borrowed(a), Cow::Borrowed(b)) if std::ptr::eq(*a, *b))
        );
        assert_eq!(name("chat", "read_file"), "chat read_file");
        assert_eq!(value("coding").as_str(), "coding");
        assert_eq!(value("coding").as_str(), "coding");
    }
}
