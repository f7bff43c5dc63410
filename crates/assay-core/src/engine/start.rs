//! Making a run: the preset's snapshot (every text expanded, every problem at once) and its
//! generation tasks, persisted in one transaction before any call is made.

use std::collections::BTreeMap;

use super::plan;
use crate::domain::content::Content;
use crate::domain::preset::Preset;
use crate::domain::run::RunSummary;
use crate::error::{Error, FieldProblem, Result};
use crate::library::Library;
use crate::profile::OpenProfile;
use crate::store;

/// What a run is started with besides its preset.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StartOptions {
    /// A USD budget; replaces the preset's.
    pub budget_usd: Option<f64>,
    /// A token budget; replaces the preset's.
    pub budget_tokens: Option<u64>,
    /// The person accepts calls to models without a price.
    pub allow_unpriced: bool,
}

/// Creates a `pending` run of preset `reference` with its generation tasks planned.
pub fn create_run(
    open: &OpenProfile,
    reference: &str,
    options: &StartOptions,
) -> Result<RunSummary> {
    let library = Library::of(open)?;
    let preset = library.preset(reference)?;
    let contents = open.db().read(|conn| used_contents(conn, &preset))?;
    let snapshot = plan::snapshot(&preset, &contents)?;
    let budget_usd = options.budget_usd.or(preset.config.budget_usd);
    let budget_tokens = options.budget_tokens.or(preset.config.budget_tokens);
    let mut problems = Vec::new();
    if budget_usd.is_some_and(|b| !b.is_finite() || b <= 0.0) {
        problems.push(FieldProblem::new("budget_usd", "must be more than 0"));
    }
    let budget_tokens = match budget_tokens.map(i64::try_from) {
        Some(Ok(n)) if n > 0 => Some(n),
        Some(_) => {
            problems.push(FieldProblem::new("budget_tokens", "must be at least 1"));
            None
        }
        None => None,
    };
    if !problems.is_empty() {
        return Err(Error::InvalidFields(problems));
    }
    keys_present(open, &preset)?;
    let unpriced = unpriced_models(open, &preset)?;
    if !unpriced.is_empty() && !options.allow_unpriced && budget_tokens.is_none() {
        return Err(Error::PriceUnknown { models: unpriced });
    }
    let tasks = plan::generation_tasks(&snapshot);
    let snapshot_json = serde_json::to_string(&snapshot)
        .map_err(|e| Error::InvalidInput(format!("could not encode the snapshot: {e}")))?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = jiff::Timestamp::now();
    let title = format!("{} · {}", preset.name, now.strftime("%Y-%m-%d %H:%M"));
    open.db().write(|tx| {
        store::runs::insert_run(
            tx,
            &store::runs::NewRun {
                id: &id,
                title: &title,
                preset_id: Some(&preset.id),
                config_snapshot: &snapshot_json,
                phase: crate::domain::states::Phase::Generating,
                status: crate::domain::states::RunStatus::Pending,
                created_at: &now.to_string(),
                started_at: None,
                completed_at: None,
                tasks: (tasks.len() as i64, 0, 0),
                total_tokens: 0,
                total_cost: 0.0,
                unknown_cost_calls: 0,
            },
        )?;
        store::runs::set_budget(tx, &id, budget_usd, budget_tokens, options.allow_unpriced)?;
        for task in &tasks {
            let task_id = uuid::Uuid::new_v4().to_string();
            store::tasks::plan(
                tx,
                &store::tasks::NewPlannedTask {
                    id: &task_id,
                    run_id: &id,
                    kind: task.kind,
                    key: &task.key,
                    input_id: task.input_id.as_deref(),
                    provider: &task.provider,
                    model: &task.model,
                    label: &task.label,
                    iteration: i64::from(task.iteration),
                    doc_a: None,
                    doc_b: None,
                    shown_first: None,
                    sources: None,
                },
            )?;
        }
        Ok(())
    })?;
    log::info!("created run {id} with {} generation tasks", tasks.len());
    let detail = library.run(&id)?;
    Ok(detail.summary)
}

/// Refuses a run whose cloud endpoints (OpenAI, Anthropic, Gemini, OpenRouter) have no key:
/// every call to them would be refused, so no run is made (`PROVIDER_AUTH`, naming them).
/// An OpenAI-compatible server may need no key.
fn keys_present(open: &OpenProfile, preset: &Preset) -> Result<()> {
    let mut keyless = Vec::new();
    for name in preset.config.called_endpoints() {
        let endpoint = crate::providers::endpoint(open, name)?;
        if !endpoint.has_key
            && endpoint.kind != crate::domain::endpoint::EndpointKind::OpenaiCompatible
        {
            keyless.push(endpoint.name);
        }
    }
    if keyless.is_empty() {
        return Ok(());
    }
    Err(Error::Provider {
        endpoint: keyless.join(", "),
        failure: crate::error::ProviderFailure {
            kind: crate::error::FailureKind::KeyNeeded,
            status: None,
            detail: Some(
                "no key is set; set one in Settings or with `assay provider set-key`".into(),
            ),
        },
    })
}

/// The models `preset` calls that have no known price, as `endpoint/model`.
pub fn unpriced_models(open: &OpenProfile, preset: &Preset) -> Result<Vec<String>> {
    let pricer = crate::providers::Pricer::of(open)?;
    let mut out: Vec<String> = preset
        .config
        .called_models()
        .filter(|(e, m)| pricer.quote(e, m).is_none())
        .map(|(e, m)| format!("{e}/{m}"))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// The content `preset` sends: its roles, its inputs and every item their `{{VAR}}`
/// bindings reach, read in one transaction so the snapshot is of one moment. An id that is
/// gone is left out; the snapshot names it as a problem.
pub(crate) fn used_contents(
    conn: &rusqlite::Connection,
    preset: &Preset,
) -> Result<BTreeMap<String, Content>> {
    let roles = &preset.roles;
    let mut todo: Vec<String> = [
        &roles.generation_instructions,
        &roles.single_eval_instructions,
        &roles.pairwise_eval_instructions,
        &roles.eval_criteria,
        &roles.combine_instructions,
    ]
    .into_iter()
    .flatten()
    .chain(&preset.inputs)
    .cloned()
    .collect();
    let mut found = BTreeMap::new();
    while let Some(id) = todo.pop() {
        if found.contains_key(&id) {
            continue;
        }
        if let Some(content) = store::contents::get(conn, &id)? {
            todo.extend(content.variables.values().cloned());
            found.insert(id, content);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_made_pending_with_its_snapshot_and_generation_tasks_in_one_go() {
        let profile = crate::test_support::seeded_profile("s");
        let library = Library::of(&profile.open).expect("ready");
        let preset = library.presets().expect("presets").remove(0);
        let per_input = preset.config.models.len() as i64 * i64::from(preset.config.iterations);
        let expected = per_input * preset.inputs.len() as i64;
        // Its cloud endpoints have no keys yet: every call would be refused, so no run.
        let keyless =
            create_run(&profile.open, &preset.name, &StartOptions::default()).expect_err("no keys");
        assert_eq!(keyless.code(), crate::ErrorCode::ProviderAuth);
        assert!(
            keyless.to_string().contains("anthropic, google, openai"),
            "{keyless}"
        );
        for name in ["anthropic", "google", "openai"] {
            let key = crate::domain::provider::ProviderKey::new("sk-unit-test-key-1234".into())
                .expect("key");
            crate::providers::set_endpoint_key(&profile._profiles, &profile.open, name, &key)
                .expect("set key");
        }
        let refused = create_run(
            &profile.open,
            &preset.name,
            &StartOptions {
                budget_usd: Some(2.5),
                ..StartOptions::default()
            },
        )
        .expect_err("the seeded preset's gemini-1.5-pro has no price in the table");
        assert_eq!(refused.code(), crate::ErrorCode::PriceUnknown);
        assert!(
            refused.to_string().contains("google/gemini-1.5-pro"),
            "{refused}"
        );
        let summary = create_run(
            &profile.open,
            &preset.name,
            &StartOptions {
                budget_usd: Some(2.5),
                allow_unpriced: true,
                ..StartOptions::default()
            },
        )
        .expect("created");
        assert_eq!(summary.status, crate::domain::states::RunStatus::Pending);
        let run = library.run(&summary.id).expect("run");
        assert_eq!(run.phase, crate::domain::states::Phase::Generating);
        assert_eq!(run.progress.generate.total, expected);
        assert_eq!(
            (run.progress.generate.done, run.progress.score.total),
            (0, 0)
        );
        let texts = run.config.texts.as_ref().expect("the texts sent are kept");
        assert_eq!(texts.inputs.len(), preset.inputs.len());
        assert!(!texts.criteria.is_empty());
        let budget: (Option<f64>, i64) = profile
            .open
            .db()
            .read(|c| {
                Ok(c.query_row(
                    "SELECT budget_usd, allow_unpriced FROM runs WHERE id = ?1",
                    [&summary.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .expect("budget");
        assert_eq!(
            budget,
            (Some(2.5), 1),
            "the budget and the consent are kept"
        );

        let err = create_run(
            &profile.open,
            &preset.name,
            &StartOptions {
                budget_usd: Some(-1.0),
                budget_tokens: Some(0),
                ..StartOptions::default()
            },
        )
        .expect_err("bad budgets");
        assert_eq!(err.to_string().lines().count(), 2, "{err}");
    }
}
