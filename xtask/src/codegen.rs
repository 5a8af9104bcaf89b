//! Shared plumbing of the generators: where the workspace is, and writing or checking a file.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// A generator: the files it produces, as (path relative to the workspace root, contents).
pub(crate) type Generator = fn() -> anyhow::Result<Vec<(PathBuf, String)>>;

/// The workspace root (xtask lives one level below it).
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Runs the generators: writes what changed, or with `check` fails listing every stale file.
pub(crate) fn run(generators: &[Generator], check: bool) -> anyhow::Result<()> {
    let root = workspace_root();
    let mut stale = Vec::new();
    for generator in generators {
        for (relative, contents) in generator()? {
            let path = root.join(&relative);
            let current = std::fs::read_to_string(&path).ok();
            if current.as_deref() == Some(contents.as_str()) {
                continue;
            }
            if check {
                stale.push(relative.display().to_string());
                continue;
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(&path, contents)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("updated {}", relative.display());
        }
    }
    if !stale.is_empty() {
        bail!(
            "stale generated files: {}; run `cargo xtask gen` and commit",
            stale.join(", ")
        );
    }
    Ok(())
}
