//! Google Gemini generateContent: `x-goog-api-key`, structured output as `responseSchema`
//! (an OpenAPI subset of JSON Schema), usage in `usageMetadata`.

use serde_json::{Map, Value, json};

use super::{Answer, AuthScheme, Dialect, ServerError, WireRequest, bad_response, count, join};
use crate::llm::call::{CallRequest, FinishReason, ModelInfo, Usage};

/// The Gemini dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gemini;

impl Dialect for Gemini {
    fn auth(&self) -> AuthScheme {
        AuthScheme::XGoogApiKey
    }

    fn request_id_header(&self) -> Option<&'static str> {
        None
    }

    fn generate(&self, base_url: &str, call: &CallRequest, with_schema: bool) -> WireRequest {
        let model = call.model.trim_start_matches("models/");
        let mut config = json!({"maxOutputTokens": call.max_output_tokens});
        if let Some(t) = call.temperature {
            config["temperature"] = json!(t);
        }
        if let Some(schema) = call.schema.as_ref().filter(|_| with_schema) {
            config["responseMimeType"] = json!("application/json");
            config["responseSchema"] = openapi_schema(schema);
        }
        let mut body = json!({
            "contents": [{"role": "user", "parts": [{"text": call.user}]}],
            "generationConfig": config,
        });
        if !call.system.is_empty() {
            body["systemInstruction"] = json!({"parts": [{"text": call.system}]});
        }
        WireRequest {
            url: join(base_url, &format!("v1beta/models/{model}:generateContent")),
            body: Some(body),
            headers: Vec::new(),
        }
    }

    fn read_answer(&self, body: &[u8]) -> Result<Answer, ServerError> {
        let json: Value =
            serde_json::from_slice(body).map_err(|_| bad_response("the answer is not JSON"))?;
        if let Some(error) = super::error_in_answer(&json, body) {
            return Err(error);
        }
        let candidate = json["candidates"].get(0);
        let (text, finish) = match candidate {
            Some(c) => {
                let text = c["content"]["parts"]
                    .as_array()
                    .map(|parts| {
                        parts
                            .iter()
                            .filter(|p| p["thought"] != true)
                            .filter_map(|p| p["text"].as_str())
                            .collect::<Vec<_>>()
                            .join("")
                    })
                    .unwrap_or_default();
                let finish = match c["finishReason"].as_str() {
                    Some("STOP") | None => FinishReason::Stop,
                    Some("MAX_TOKENS") => FinishReason::Length,
                    Some(
                        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII"
                        | "IMAGE_SAFETY",
                    ) => FinishReason::ContentFilter,
                    Some(_) => FinishReason::Other,
                };
                (text, finish)
            }
            None if json.pointer("/promptFeedback/blockReason").is_some() => {
                (String::new(), FinishReason::ContentFilter)
            }
            None => return Err(bad_response("the answer has no candidates")),
        };
        let u = &json["usageMetadata"];
        let thoughts = count(u.get("thoughtsTokenCount"));
        let output = count(u.get("candidatesTokenCount"))
            .map(|n| n.saturating_add(thoughts.unwrap_or(0)))
            .or(thoughts);
        Ok(Answer {
            text,
            finish,
            usage: Usage {
                input_tokens: count(u.get("promptTokenCount")),
                output_tokens: output,
                cached_input_tokens: count(u.get("cachedContentTokenCount")),
                reasoning_tokens: thoughts,
                reported_cost_usd: None,
            },
            model: json["modelVersion"].as_str().map(str::to_owned),
            body_id: json["responseId"].as_str().map(str::to_owned),
        })
    }

    fn list_models(&self, base_url: &str) -> WireRequest {
        WireRequest {
            url: join(base_url, "v1beta/models?pageSize=1000"),
            body: None,
            headers: Vec::new(),
        }
    }

    fn read_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, ServerError> {
        let json: Value =
            serde_json::from_slice(body).map_err(|_| bad_response("the model list is not JSON"))?;
        let models = json["models"]
            .as_array()
            .ok_or_else(|| bad_response("the model list has no `models`"))?;
        Ok(models
            .iter()
            .filter(|m| {
                m["supportedGenerationMethods"]
                    .as_array()
                    .is_none_or(|ms| ms.iter().any(|x| x == "generateContent"))
            })
            .filter_map(|m| {
                Some(ModelInfo {
                    id: m["name"].as_str()?.trim_start_matches("models/").to_owned(),
                    name: m["displayName"].as_str().map(str::to_owned),
                })
            })
            .collect())
    }
}

/// A JSON Schema as Gemini's `responseSchema` takes it: the OpenAPI subset (type, format,
/// description, nullable, enum, properties, required, items, bounds), with upper-case types.
/// A JSON schema as Gemini's `responseSchema` takes it (an OpenAPI 3.0 subset): upper-case
/// types; `enum` only on strings, so an integer enum becomes its `minimum` and `maximum`;
/// `maxLength` kept; and `propertyOrdering` (Gemini otherwise orders properties
/// alphabetically) following `required`, so a judge's reason comes before its score.
fn openapi_schema(schema: &Value) -> Value {
    const KEPT: [&str; 11] = [
        "type",
        "format",
        "description",
        "nullable",
        "enum",
        "required",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "maxLength",
    ];
    let Value::Object(fields) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    let numeric_enum = fields
        .get("type")
        .is_some_and(|t| t == "integer" || t == "number");
    if numeric_enum && let Some(values) = fields.get("enum").and_then(Value::as_array) {
        let numbers: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
        let low = numbers.iter().copied().fold(f64::INFINITY, f64::min);
        let high = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if low.is_finite() && high.is_finite() {
            let whole = |n: f64| {
                if n.fract() == 0.0 {
                    json!(n as i64)
                } else {
                    json!(n)
                }
            };
            out.insert("minimum".into(), whole(low));
            out.insert("maximum".into(), whole(high));
        }
    }
    if let (Some(Value::Object(props)), Some(Value::Array(required))) =
        (fields.get("properties"), fields.get("required"))
    {
        let mut order: Vec<Value> = required
            .iter()
            .filter(|r| r.as_str().is_some_and(|r| props.contains_key(r)))
            .cloned()
            .collect();
        order.extend(
            props
                .keys()
                .filter(|k| !required.iter().any(|r| r == *k))
                .map(|k| json!(k)),
        );
        out.insert("propertyOrdering".into(), Value::Array(order));
    }
    for (key, value) in fields {
        match key.as_str() {
            "type" => {
                out.insert(
                    key.clone(),
                    value
                        .as_str()
                        .map_or(value.clone(), |t| json!(t.to_uppercase())),
                );
            }
            "properties" => {
                let props = value
                    .as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(k, v)| (k.clone(), openapi_schema(v)))
                            .collect::<Map<_, _>>()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" => {
                out.insert(key.clone(), openapi_schema(value));
            }
            "enum" if numeric_enum => {}
            k if KEPT.contains(&k) => {
                out.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_schema_becomes_gemini_s_openapi_subset() {
        let schema = json!({
            "type": "object", "additionalProperties": false,
            "properties": {"winner": {"type": "string", "enum": ["A", "B"]}},
            "required": ["winner"]
        });
        assert_eq!(
            openapi_schema(&schema),
            json!({"type": "OBJECT", "properties": {"winner": {"type": "STRING",
                   "enum": ["A", "B"]}}, "required": ["winner"],
                   "propertyOrdering": ["winner"]})
        );
        let score = json!({"type": "object", "required": ["reason", "score"], "properties": {
            "reason": {"type": "string", "maxLength": 600},
            "score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}}});
        assert_eq!(
            openapi_schema(&score),
            json!({"type": "OBJECT", "required": ["reason", "score"],
                   "propertyOrdering": ["reason", "score"], "properties": {
                   "reason": {"type": "STRING", "maxLength": 600},
                   "score": {"type": "INTEGER", "minimum": 1, "maximum": 5}}})
        );
    }

    #[test]
    fn usage_counts_thoughts_as_output_and_a_blocked_prompt_is_filtered() {
        let answer = Gemini
            .read_answer(
                br#"{"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"STOP"}],
                   "usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":3,
                   "thoughtsTokenCount":10},"modelVersion":"gemini-2.5-flash"}"#,
            )
            .expect("answer");
        assert_eq!(answer.usage.output_tokens, Some(13));
        assert_eq!(answer.usage.reasoning_tokens, Some(10));
        let blocked = Gemini
            .read_answer(br#"{"promptFeedback":{"blockReason":"SAFETY"}}"#)
            .expect("answer");
        assert_eq!(blocked.finish, FinishReason::ContentFilter);
    }
}
