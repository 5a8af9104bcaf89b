//! Verticals and agentic signals: coordinators, workflow, feature and vertical usage, planning,
//! memory, skills, self-improvement, and what each vertical did.

use std::sync::Arc;
use std::time::Duration;

use super::{AgentMode, CatalogSeries, owned};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};

/// Something a vertical did, for [`Agentic::record_vertical_activity`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VerticalActivity {
    /// Coding: files analyzed.
    CodingFilesAnalyzed(u64),
    /// Coding: lines of code reviewed.
    CodingLinesReviewed(u64),
    /// Coding: issues found.
    CodingIssuesFound(u64),
    /// Coding: tests generated.
    CodingTestsGenerated(u64),
    /// Coding: current refactoring success ratio, 0 to 1.
    CodingRefactoringSuccessRate(f64),
    /// RAG: documents ingested.
    RagDocumentsIngested(u64),
    /// RAG: current search accuracy, 0 to 1.
    RagSearchAccuracy(f64),
    /// RAG: one retrieval and its latency.
    RagRetrieval(Duration),
    /// RAG: current index size in bytes.
    RagIndexSize(u64),
    /// DevOps: one deployment performed.
    DevOpsDeployment,
    /// DevOps: current deployment success ratio, 0 to 1.
    DevOpsDeploymentSuccessRate(f64),
    /// DevOps: containers under management now.
    DevOpsContainersManaged(u64),
    /// DevOps: one CI pipeline executed.
    DevOpsCiPipelineExecuted,
    /// Data analysis: one query and its duration.
    DataAnalysisQuery(Duration),
    /// Data analysis: one visualization created.
    DataAnalysisVisualization,
    /// Data analysis: size in bytes of a data set analyzed.
    DataAnalysisDataSize(u64),
    /// Research: one search performed.
    ResearchSearch,
    /// Research: citations generated.
    ResearchCitations(u64),
    /// Research: sources analyzed.
    ResearchSourcesAnalyzed(u64),
    /// Research: one synthesis and its duration.
    ResearchSynthesis(Duration),
}

/// The agentic family: [`Group::Coordinator`], [`Group::Usage`], [`Group::Agentic`] and the
/// five verticals' groups.
pub struct Agentic {
    catalog: Arc<CatalogSeries>,
}

impl Agentic {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        Agentic { catalog }
    }

    /// Records one coordinator run and whether it failed.
    pub fn record_coordinator_run(&self, coordinator: &str, duration: Duration, success: bool) {
        let catalog = &self.catalog;
        catalog.increment(&cat::COORDINATOR_EXECUTIONS_TOTAL, [coordinator], 1);
        catalog.observe(
            &cat::COORDINATOR_DURATION_SECONDS,
            [coordinator],
            duration.as_secs_f64(),
        );
        if !success {
            catalog.increment(&cat::COORDINATOR_ERRORS_TOTAL, [coordinator], 1);
        }
    }

    /// Sets a coordinator's memory and CPU.
    pub fn set_coordinator_resources(
        &self,
        coordinator: &str,
        memory_bytes: u64,
        cpu_percent: f64,
    ) {
        self.catalog.set(
            &cat::COORDINATOR_MEMORY_BYTES,
            [coordinator],
            memory_bytes as f64,
        );
        self.catalog
            .set(&cat::COORDINATOR_CPU_PERCENT, [coordinator], cpu_percent);
    }

    /// Records a workflow execution with its status.
    pub fn record_workflow_execution(&self, workflow: &str, status: &str) {
        self.catalog
            .increment(&cat::WORKFLOW_EXECUTIONS_TOTAL, [workflow, status], 1);
    }

    /// Records one use of a feature.
    pub fn record_feature_usage(&self, feature: &str) {
        self.catalog
            .increment(&cat::FEATURE_USAGE_TOTAL, [feature], 1);
    }

    /// Records one use of a vertical in a mode.
    pub fn record_vertical_usage(&self, vertical: &str, mode: AgentMode) {
        self.catalog
            .increment(&cat::VERTICAL_USAGE_TOTAL, [vertical, mode.as_str()], 1);
    }

    /// Sets the planning success ratio of a vertical, 0 to 1.
    pub fn set_planning_success_rate(&self, vertical: &str, ratio: f64) {
        self.catalog
            .set(&cat::PLANNING_SUCCESS_RATE, [vertical], ratio);
    }

    /// Sets the recall accuracy of a memory type, 0 to 1.
    pub fn set_memory_recall_accuracy(&self, memory_type: &str, ratio: f64) {
        self.catalog
            .set(&cat::MEMORY_RECALL_ACCURACY, [memory_type], ratio);
    }

    /// Records a skill discovered.
    pub fn record_skill_discovered(&self, skill_type: &str) {
        self.catalog
            .increment(&cat::SKILL_DISCOVERY_TOTAL, [skill_type], 1);
    }

    /// Sets the proficiency score of a skill, 0 to 1.
    pub fn set_proficiency_score(&self, skill: &str, score: f64) {
        self.catalog.set(&cat::PROFICIENCY_SCORE, [skill], score);
    }

    /// Records a self-improvement loop and its outcome.
    pub fn record_self_improvement_loop(&self, outcome: &str) {
        self.catalog
            .increment(&cat::SELF_IMPROVEMENT_LOOPS_TOTAL, [outcome], 1);
    }

    /// Records an agent memory operation (`store`, `recall`, ...) and its status.
    pub fn record_memory_operation(&self, operation: &str, status: &str) {
        self.catalog
            .increment(&cat::MEMORY_OPERATIONS_TOTAL, [operation, status], 1);
    }

    /// Records something a vertical did.
    pub fn record_vertical_activity(&self, activity: VerticalActivity) {
        use VerticalActivity as A;
        let catalog = &self.catalog;
        match activity {
            A::CodingFilesAnalyzed(n) => {
                catalog.increment(&cat::CODING_FILES_ANALYZED_TOTAL, [], n)
            }
            A::CodingLinesReviewed(n) => catalog.increment(&cat::CODING_LOC_REVIEWED_TOTAL, [], n),
            A::CodingIssuesFound(n) => catalog.increment(&cat::CODING_ISSUES_FOUND_TOTAL, [], n),
            A::CodingTestsGenerated(n) => {
                catalog.increment(&cat::CODING_TESTS_GENERATED_TOTAL, [], n)
            }
            A::CodingRefactoringSuccessRate(r) => {
                catalog.set(&cat::CODING_REFACTORING_SUCCESS_RATE, [], r);
            }
            A::RagDocumentsIngested(n) => {
                catalog.increment(&cat::RAG_DOCUMENTS_INGESTED_TOTAL, [], n)
            }
            A::RagSearchAccuracy(r) => catalog.set(&cat::RAG_SEARCH_ACCURACY, [], r),
            A::RagRetrieval(d) => {
                catalog.observe(&cat::RAG_RETRIEVAL_LATENCY_SECONDS, [], d.as_secs_f64());
            }
            A::RagIndexSize(bytes) => catalog.set(&cat::RAG_INDEX_SIZE_BYTES, [], bytes as f64),
            A::DevOpsDeployment => catalog.increment(&cat::DEVOPS_DEPLOYMENTS_TOTAL, [], 1),
            A::DevOpsDeploymentSuccessRate(r) => {
                catalog.set(&cat::DEVOPS_DEPLOYMENT_SUCCESS_RATE, [], r);
            }
            A::DevOpsContainersManaged(n) => {
                catalog.set(&cat::DEVOPS_CONTAINERS_MANAGED, [], n as f64);
            }
            A::DevOpsCiPipelineExecuted => {
                catalog.increment(&cat::DEVOPS_CI_PIPELINES_EXECUTED_TOTAL, [], 1)
            }
            A::DataAnalysisQuery(d) => {
                catalog.increment(&cat::DATAANALYSIS_QUERIES_TOTAL, [], 1);
                catalog.observe(
                    &cat::DATAANALYSIS_QUERY_DURATION_SECONDS,
                    [],
                    d.as_secs_f64(),
                );
            }
            A::DataAnalysisVisualization => {
                catalog.increment(&cat::DATAANALYSIS_VISUALIZATIONS_TOTAL, [], 1)
            }
            A::DataAnalysisDataSize(bytes) => {
                catalog.observe(&cat::DATAANALYSIS_DATA_SIZE_BYTES, [], bytes as f64);
            }
            A::ResearchSearch => catalog.increment(&cat::RESEARCH_SEARCHES_TOTAL, [], 1),
            A::ResearchCitations(n) => {
                catalog.increment(&cat::RESEARCH_CITATIONS_GENERATED_TOTAL, [], n)
            }
            A::ResearchSourcesAnalyzed(n) => {
                catalog.increment(&cat::RESEARCH_SOURCES_ANALYZED_TOTAL, [], n)
            }
            A::ResearchSynthesis(d) => {
                catalog.observe(
                    &cat::RESEARCH_SYNTHESIS_DURATION_SECONDS,
                    [],
                    d.as_secs_f64(),
                );
            }
        }
    }
}

impl Component for Agentic {
    type View = ();

    fn name(&self) -> &'static str {
        "agentic"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[
            Group::Coordinator,
            Group::Usage,
            Group::Agentic,
            Group::Coding,
            Group::Rag,
            Group::DevOps,
            Group::DataAnalysis,
            Group::Research,
        ])
    }

    fn view(&self) -> Option<()> {
        None
    }
}
