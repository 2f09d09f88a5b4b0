//! The planner and writer actions of automation rules, end to end: a keyword clustered by one
//! rule, whose new cluster makes a second rule generate ideas; an article generated for a new
//! task through an OpenAI-compatible server; the credit limit stopping a generate action; the
//! offline provider refusing to write without holding anything.

use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer};

use igny8::domain::ids::{KeywordId, RuleId};
use igny8::planner::new_keyword;
use igny8::store::scheduled_tasks::ScheduledTask;
use igny8::store::tasks::TaskFields;

use crate::automation::Fixture;
use crate::planner::{completion, openai_settings};

impl Fixture {
    async fn keyword(&self, text: &str) -> KeywordId {
        self.store
            .insert_keyword(
                self.account(),
                self.site.id,
                &new_keyword(text, Some(100), None, None).unwrap(),
            )
            .await
            .unwrap()
            .id
    }

    async fn task(&self, title: &str, target_word_count: i32) -> i64 {
        let fields = TaskFields {
            idea_id: None,
            cluster_id: None,
            title: title.to_owned(),
            keywords: json!(["brew coffee"]),
            target_word_count: Some(target_word_count),
            outline: json!([]),
            content_type: "post".to_owned(),
        };
        self.store
            .insert_task(self.account(), self.site.id, &fields)
            .await
            .unwrap()
            .id
            .get()
    }

    /// The events of `kind`: subject, depth and the rules of their causation chain.
    async fn events(&self, kind: &str) -> Vec<(i64, i32, Vec<i64>)> {
        let rows: Vec<(i64, i32, Value)> = sqlx::query_as(
            "SELECT subject_id, depth, causation FROM domain_events WHERE kind = $1 ORDER BY id",
        )
        .bind(kind)
        .fetch_all(&self.pool)
        .await
        .unwrap();
        rows.into_iter()
            .map(|(subject, depth, chain)| {
                let rules = chain
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|link| link["rule"].as_i64().unwrap())
                    .collect();
                (subject, depth, rules)
            })
            .collect()
    }

    /// Credit holds of one operation: state, amount held, amount captured.
    async fn holds(&self, operation: &str) -> Vec<(String, i64, Option<i64>)> {
        sqlx::query_as(
            "SELECT state, amount, captured_amount FROM credit_holds \
             WHERE operation_type = $1 ORDER BY id",
        )
        .bind(operation)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    async fn available(&self) -> i64 {
        self.store
            .balance(self.account())
            .await
            .unwrap()
            .available()
    }
}

fn of_rule(tasks: &[ScheduledTask], rule: i64) -> Vec<&ScheduledTask> {
    tasks
        .iter()
        .filter(|t| t.rule_id.map(|r| r.get()) == Some(rule))
        .collect()
}

#[sqlx::test]
async fn a_clustered_keyword_leads_a_second_rule_to_generate_ideas_along_the_causation_chain(
    pool: PgPool,
) {
    let f = Fixture::new(pool, 200, "").await;
    let cluster_rule = f
        .rule(json!({
            "name": "Cluster new keywords",
            "trigger_type": "keyword_added",
            "actions": [{"type": "cluster_keywords"}],
        }))
        .await;
    let ideas_rule = f
        .rule(json!({
            "name": "Ideas for new clusters",
            "trigger_type": "cluster_created",
            "conditions": [{"field": "cluster.keyword_count", "operator": "gte", "value": 1}],
            "actions": [{"type": "generate_ideas"}],
            "credit_limit_per_execution": 15,
        }))
        .await;
    for text in [
        "cold brew coffee",
        "cold brew coffee ratio",
        "french press grind size",
    ] {
        f.keyword(text).await;
    }

    assert_eq!(f.automation.process_events().await.unwrap(), 3);
    // All three executions at once: one clusters every keyword, the others find them taken.
    assert_eq!(f.run_pending().await, 3);
    let tasks = f.tasks().await;
    let clusterings = of_rule(&tasks, cluster_rule);
    assert_eq!(clusterings.len(), 3);
    let mut cluster_ids = Vec::new();
    for task in &clusterings {
        let result = &task.result[0];
        match result["outcome"].as_str().unwrap() {
            "completed" => {
                assert_eq!(task.status, "completed", "{task:?}");
                cluster_ids.extend(
                    result["output"]["cluster_ids"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|id| id.as_i64().unwrap()),
                );
            }
            "skipped" => assert!(
                result["reason"]
                    .as_str()
                    .unwrap()
                    .contains("is already in cluster"),
                "{task:?}"
            ),
            other => panic!("unexpected outcome {other}: {task:?}"),
        }
    }
    assert!(!cluster_ids.is_empty());
    assert_eq!(
        f.count("SELECT count(*) FROM keywords WHERE cluster_id IS NULL")
            .await,
        0
    );
    assert_eq!(
        f.count("SELECT count(*) FROM clusters").await,
        cluster_ids.len() as i64
    );
    // Charged once, under the key of the execution that kept the clusters.
    let clustering_holds = f.holds("clustering").await;
    let captured: Vec<_> = clustering_holds
        .iter()
        .filter(|(state, _, _)| state == "captured")
        .collect();
    assert_eq!(captured.len(), 1, "{clustering_holds:?}");
    assert_eq!(captured[0].2, Some(10));
    assert!(
        clustering_holds
            .iter()
            .all(|(state, _, _)| state != "pending"),
        "{clustering_holds:?}"
    );

    // Each new cluster's event names the execution's rule in its chain.
    let created = f.events("cluster_created").await;
    assert_eq!(created.len(), cluster_ids.len());
    for (subject, depth, rules) in &created {
        assert!(cluster_ids.contains(subject));
        assert_eq!((*depth, rules.clone()), (1, vec![cluster_rule]));
    }

    assert_eq!(
        f.automation.process_events().await.unwrap(),
        cluster_ids.len()
    );
    assert_eq!(f.run_pending().await, cluster_ids.len());
    let tasks = f.tasks().await;
    let idea_runs = of_rule(&tasks, ideas_rule);
    assert_eq!(idea_runs.len(), cluster_ids.len());
    for task in &idea_runs {
        assert_eq!(task.status, "completed", "{task:?}");
        assert_eq!(task.credits_used, 15);
        assert_eq!(task.result[0]["type"], "generate_ideas");
        assert_eq!(task.result[0]["credits_used"], 15);
        let cluster = task.trigger_context["cluster"]["id"].as_i64().unwrap();
        assert_eq!(task.result[0]["output"]["cluster_id"], cluster);
        assert_eq!(
            task.result[0]["output"]["idea_ids"]
                .as_array()
                .unwrap()
                .len(),
            igny8::planner::IDEAS_PER_CLUSTER
        );
    }
    let ideas = f.events("idea_created").await;
    assert_eq!(
        ideas.len(),
        cluster_ids.len() * igny8::planner::IDEAS_PER_CLUSTER
    );
    for (_, depth, rules) in &ideas {
        assert_eq!((*depth, rules.clone()), (2, vec![cluster_rule, ideas_rule]));
    }
    let spent = 10 + 15 * cluster_ids.len() as i64;
    assert_eq!(f.available().await, 200 - spent);

    // A redelivered execution finds its work done: nothing is created or charged again.
    let first = idea_runs[0].id;
    sqlx::query("UPDATE scheduled_tasks SET status = 'failed', error_code = 'lost', error = 'the worker was lost' WHERE id = $1")
        .bind(first.get())
        .execute(&f.pool)
        .await
        .unwrap();
    f.automation.retry(f.account(), first).await.unwrap();
    f.run_pending().await;
    let retried = f.store.scheduled_task(f.account(), first).await.unwrap();
    assert_eq!(retried.status, "completed", "{retried:?}");
    assert_eq!(retried.result[0]["outcome"], "skipped");
    assert!(
        retried.result[0]["reason"]
            .as_str()
            .unwrap()
            .contains("already has 3 ideas"),
        "{retried:?}"
    );
    assert_eq!(
        f.count("SELECT count(*) FROM content_ideas").await,
        ideas.len() as i64
    );
    assert_eq!(f.available().await, 200 - spent);
}

#[sqlx::test]
async fn the_credit_limit_stops_a_generate_action_before_it_holds_anything(pool: PgPool) {
    let f = Fixture::new(pool, 100, "").await;
    let keyword = f.keyword("cold brew coffee").await;
    let cluster = f
        .store
        .create_clusters(
            f.account(),
            f.site.id,
            &[igny8::store::clusters::NewCluster {
                name: "Cold brew".to_owned(),
                description: None,
                keywords: vec![keyword],
            }],
            false,
            &igny8::domain::event::Causation::root(),
        )
        .await
        .unwrap()
        .remove(0);
    // Clustering (10) fits the limit of 20; the ideas (15) after it would not.
    f.rule(json!({
        "name": "Cluster and plan",
        "trigger_type": "keyword_added",
        "actions": [
            {"type": "cluster_keywords"},
            {"type": "generate_ideas", "params": {"cluster_id": cluster.id}},
        ],
        "credit_limit_per_execution": 20,
    }))
    .await;
    let second = f.keyword("cold brew concentrate").await;
    sqlx::query("UPDATE domain_events SET processed_at = now() WHERE subject_id <> $1")
        .bind(second.get())
        .execute(&f.pool)
        .await
        .unwrap();

    assert_eq!(f.automation.process_events().await.unwrap(), 1);
    assert_eq!(f.run_pending().await, 1);
    let task = &f.tasks().await[0];
    assert_eq!(task.status, "failed", "{task:?}");
    assert_eq!(task.error_code.as_deref(), Some("credit_limit_exceeded"));
    assert_eq!(task.result[0]["outcome"], "completed");
    assert_eq!(task.result[1]["outcome"], "failed");
    assert_eq!(task.result[1]["error_code"], "credit_limit_exceeded");
    assert!(
        task.error
            .as_deref()
            .unwrap()
            .contains("may cost 15 credits, and 10 of the execution's limit of 20 are used"),
        "{task:?}"
    );
    assert_eq!(task.credits_used, 10);
    assert_eq!(f.holds("idea_generation").await, Vec::new());
    assert_eq!(f.count("SELECT count(*) FROM content_ideas").await, 0);
    assert_eq!(f.available().await, 90);
}

#[sqlx::test]
async fn the_offline_writer_refuses_generate_content_without_holding_credits(pool: PgPool) {
    let f = Fixture::new(pool, 100, "").await;
    let rule = f
        .rule(json!({
            "name": "Write new tasks",
            "trigger_type": "task_created",
            "actions": [{"type": "generate_content"}],
        }))
        .await;
    let task_id = f.task("How to Brew Coffee", 1000).await;

    // The dry run already says why.
    let preview = f
        .automation
        .test(
            f.account(),
            RuleId::new(rule),
            Some(json!({"task": {"id": task_id}})),
        )
        .await
        .unwrap();
    assert_eq!(preview.actions[0].would, "skip");
    assert!(
        preview.actions[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("ai.provider"),
        "{preview:?}"
    );

    assert_eq!(f.automation.process_events().await.unwrap(), 1);
    assert_eq!(f.run_pending().await, 1);
    let task = &f.tasks().await[0];
    assert_eq!(task.status, "failed", "{task:?}");
    assert_eq!(
        task.error_code.as_deref(),
        Some("ai_provider_not_configured")
    );
    assert!(
        task.error.as_deref().unwrap().contains("ai.provider"),
        "{task:?}"
    );
    assert_eq!(task.result[0]["credits_used"], 0);
    assert_eq!(task.credits_used, 0);
    assert_eq!(f.holds("content_generation").await, Vec::new());
    assert_eq!(f.available().await, 100);
    let status: String = sqlx::query_scalar("SELECT status FROM tasks WHERE id = $1")
        .bind(task_id)
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(status, "pending");
}

#[sqlx::test]
async fn a_new_task_is_written_by_a_rule_through_the_model_and_charged_once(pool: PgPool) {
    let server = MockServer::start().await;
    let mut html = String::from("<h2>Brewing basics</h2>");
    for _ in 0..40 {
        html.push_str("<p>Coffee tastes better when brewed with care.</p>");
    }
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(json!({
            "response_format": {"type": "json_schema", "json_schema": {"name": "write_article"}},
        })))
        .respond_with(completion(
            &json!({
                "title": "How to Brew Coffee at Home",
                "html": html,
                "meta_description": "Brew better coffee at home: the grind, the water and the time, step by step.",
            })
            .to_string(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let f = Fixture::new(pool, 100, &openai_settings(&server, 0)).await;
    let rule = f
        .rule(json!({
            "name": "Write new tasks",
            "trigger_type": "task_created",
            "actions": [{"type": "generate_content"}],
            "credit_limit_per_execution": 10,
        }))
        .await;
    let task_id = f.task("How to Brew Coffee", 1000).await;

    assert_eq!(f.automation.process_events().await.unwrap(), 1);
    assert_eq!(f.run_pending().await, 1);
    let execution = f.tasks().await.remove(0);
    assert_eq!(execution.status, "completed", "{execution:?}");
    let output = &execution.result[0]["output"];
    assert_eq!(output["task_id"], task_id);
    let content = output["content_id"].as_i64().unwrap();
    let words = output["word_count"].as_i64().unwrap();
    assert!(words > 200, "{output}");
    // Held for the target of 1000 words, charged for the article's length.
    let charged = (words + 99) / 100;
    assert_eq!(execution.credits_used, charged);
    assert_eq!(
        f.holds("content_generation").await,
        vec![("captured".to_owned(), 10, Some(charged))]
    );
    assert_eq!(f.available().await, 100 - charged);
    assert_eq!(
        f.events("content_generated").await,
        vec![(content, 1, vec![rule])]
    );
    let (status, content_id): (String, Option<i64>) =
        sqlx::query_as("SELECT status, content_id FROM tasks WHERE id = $1")
            .bind(task_id)
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), content_id), ("completed", Some(content)));

    // A retried execution finds the article written: the model is not asked again (the
    // mock expects one call) and nothing more is charged.
    sqlx::query("UPDATE scheduled_tasks SET status = 'failed', error_code = 'lost', error = 'the worker was lost' WHERE id = $1")
        .bind(execution.id.get())
        .execute(&f.pool)
        .await
        .unwrap();
    f.automation.retry(f.account(), execution.id).await.unwrap();
    f.run_pending().await;
    let retried = f
        .store
        .scheduled_task(f.account(), execution.id)
        .await
        .unwrap();
    assert_eq!(retried.result[0]["outcome"], "skipped", "{retried:?}");
    assert_eq!(f.available().await, 100 - charged);
}
