//! The executor's planning of what depends on results: an input's comparisons, combine tasks
//! and post-combine comparisons, each once its inputs are in.

use super::{Executor, Stage};
use crate::domain::run::RunConfigSnapshot;
use crate::domain::states::{DocumentKind, TaskKind};
use crate::engine::{plan, results, stages};
use crate::error::Result;
use crate::store::execution as exec;

impl Executor<'_> {
    /// Plans the stages of `input` whose results are in.
    pub(super) fn advance(&mut self, input: &str) -> Result<()> {
        let config = self.snapshot.config.clone();
        let generating = self.outstanding(input, TaskKind::Generate) > 0;
        let scoring = self.outstanding(input, TaskKind::Score) > 0;
        let key = |s| (input.to_owned(), s);
        if generating {
            return Ok(());
        }
        if config.pairwise_enabled
            && !self.planned.contains(&key(Stage::Compare))
            && (config.pairwise_top_n.is_none() || !scoring)
        {
            let docs = self.input_documents(input, DocumentKind::Generated)?;
            let ids: Vec<String> = match config.pairwise_top_n {
                Some(n) => stages::top_by_score(&docs, n as usize),
                None => docs.iter().map(|d| d.id.clone()).collect(),
            };
            let specs = plan::comparison_tasks(&self.snapshot, input, &ids);
            self.plan_stage(input, Stage::Compare, &specs, None)?;
        }
        let ranked = if config.pairwise_enabled {
            self.planned.contains(&key(Stage::Compare))
                && self.outstanding(input, TaskKind::Compare) == 0
        } else {
            !scoring
        };
        if !config.combine_models.is_empty()
            && ranked
            && !self.planned.contains(&key(Stage::Combine))
        {
            let docs = self.input_documents(input, DocumentKind::Generated)?;
            let verdicts = self
                .open
                .db()
                .read(|c| exec::input_verdicts(c, &self.run_id, input))?;
            let top: Vec<String> = stages::rank(&docs, &verdicts)
                .into_iter()
                .take(config.combine_top_k.max(2) as usize)
                .map(|d| d.id.clone())
                .collect();
            let specs = if top.len() >= 2 {
                combine_tasks(&self.snapshot, input)
            } else {
                Vec::new()
            };
            let sources = serde_json::to_string(&top).unwrap_or_default();
            self.plan_stage(input, Stage::Combine, &specs, Some(&sources))?;
        }
        if config.pairwise_enabled
            && self.planned.contains(&key(Stage::Combine))
            && self.outstanding(input, TaskKind::Combine) == 0
            && !self.planned.contains(&key(Stage::PostCombine))
        {
            let combined = self.input_documents(input, DocumentKind::Combined)?;
            if !combined.is_empty() {
                let sources = self
                    .tasks
                    .values()
                    .find(|t| t.kind == TaskKind::Combine && t.input_id == input)
                    .and_then(|t| t.sources.as_deref())
                    .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
                    .unwrap_or_default();
                let ids: Vec<String> = sources
                    .into_iter()
                    .chain(combined.into_iter().map(|d| d.id))
                    .collect();
                let specs = plan::comparison_tasks(&self.snapshot, input, &ids);
                self.plan_stage(input, Stage::PostCombine, &specs, None)?;
            }
        }
        Ok(())
    }

    pub(super) fn input_documents(
        &self,
        input: &str,
        kind: DocumentKind,
    ) -> Result<Vec<exec::InputDocument>> {
        let docs = self
            .open
            .db()
            .read(|c| exec::input_documents(c, &self.run_id, input))?;
        Ok(docs.into_iter().filter(|d| d.kind == kind).collect())
    }

    pub(super) fn plan_stage(
        &mut self,
        input: &str,
        stage: Stage,
        specs: &[plan::TaskSpec],
        sources: Option<&str>,
    ) -> Result<()> {
        let new = self.open.db().write(|tx| {
            let new = results::plan_with_sources(tx, &self.run_id, specs, sources)?;
            exec::bump_tasks(tx, &self.run_id, new.len() as i64, 0, 0)?;
            Ok(new)
        })?;
        self.planned.insert((input.to_owned(), stage));
        for t in new {
            self.progress_slot(t.kind).total += 1;
            self.enqueue(t);
        }
        Ok(())
    }
}

/// The combine tasks of one input: one per combine model.
fn combine_tasks(snapshot: &RunConfigSnapshot, input: &str) -> Vec<plan::TaskSpec> {
    snapshot
        .config
        .combine_models
        .iter()
        .map(|m| {
            let label = m.contestant();
            plan::TaskSpec {
                kind: TaskKind::Combine,
                key: format!("combine/{input}/{label}/1"),
                input_id: Some(input.to_owned()),
                provider: m.provider.clone(),
                model: m.model.clone(),
                label,
                iteration: 1,
                doc_a: None,
                doc_b: None,
                shown_first: None,
            }
        })
        .collect()
}
