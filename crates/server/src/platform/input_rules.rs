//! The input rules every route shares (strict input, `http::extract`), stated in the OpenAPI
//! document once instead of on each field: no control characters in any string of a path,
//! query or request body (tab and newline allowed in free text), and no empty list in a request
//! body. Schemas that responses also use get the character rules but not the list rule (a
//! response may hold an empty list).

use std::collections::BTreeSet;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{OpenApi, RefOr};

/// No C0 control, DEL or C1 control (`core::input::is_forbidden_char`).
const NO_CONTROL: &str = "^[^\\x00-\\x1F\\x7F-\\x9F]*$";
/// The same, but tab and newline allowed: free-text fields.
const FREE_TEXT: &str = "^[^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*$";
/// The JSON keys of free-text fields (`http::extract::FREE_TEXT_FIELDS`).
const FREE_TEXT_KEYS: &[&str] = &["description", "reason", "note", "failure_reason"];

/// Applies the rules to every operation's parameters and to the request-only body schemas.
pub fn apply(doc: &mut OpenApi) {
    let mut request_refs = BTreeSet::new();
    let mut response_refs = BTreeSet::new();
    super::openapi::for_each_operation(doc, |_, op| {
        parameters(op);
        collect_op_refs(op, &mut request_refs, &mut response_refs);
    });
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let requests = closure(&components.schemas, request_refs);
    let responses = closure(&components.schemas, response_refs);
    for name in &requests {
        // A schema responses use too gets the character rules (everything stored passed
        // them) but not the non-empty-list rule: a response may carry an empty list.
        let lists = !responses.contains(name);
        if let Some(RefOr::T(schema)) = components.schemas.get_mut(name) {
            body_schema(schema, None, lists);
        }
    }
}

/// Path and query strings without a pattern of their own get the no-control pattern.
fn parameters(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        if matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query) {
            if let Some(RefOr::T(schema)) = p.schema.as_mut() {
                string_pattern(schema, NO_CONTROL);
            }
        }
    }
}

fn is_string(t: &SchemaType) -> bool {
    match t {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(ts) => ts.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}

fn string_pattern(schema: &mut Schema, pattern: &str) {
    if let Schema::Object(o) = schema {
        string_pattern_object(o, pattern);
    }
}

/// Walks a request body schema: strings get their pattern (by the key they sit under), lists
/// at least one item.
fn body_schema(schema: &mut Schema, key: Option<&str>, lists: bool) {
    let pattern = match key {
        Some(k) if FREE_TEXT_KEYS.contains(&k) => FREE_TEXT,
        _ => NO_CONTROL,
    };
    match schema {
        Schema::Object(o) => {
            string_pattern_object(o, pattern);
            for (k, prop) in o.properties.iter_mut() {
                if let RefOr::T(s) = prop {
                    body_schema(s, Some(k), lists);
                }
            }
            if let Some(extra) = o.additional_properties.as_deref_mut() {
                // A map: its keys are strings of the body too.
                match o.property_names.as_deref_mut() {
                    // utoipa states `{"type": "string"}` for a map's keys: add the rule to it.
                    Some(Schema::Object(keys)) => string_pattern_object(keys, NO_CONTROL),
                    Some(_) => {}
                    None => {
                        let keys = ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(NO_CONTROL))
                            .build();
                        o.property_names = Some(Box::new(Schema::Object(keys)));
                    }
                }
                if let AdditionalProperties::RefOr(RefOr::T(s)) = extra {
                    body_schema(s, None, lists);
                }
            }
        }
        Schema::Array(a) => {
            if lists {
                a.min_items.get_or_insert(1);
            }
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                if let RefOr::T(s) = items.as_mut() {
                    body_schema(s, key, lists);
                }
            }
        }
        Schema::OneOf(one) => {
            for item in one.items.iter_mut() {
                if let RefOr::T(s) = item {
                    body_schema(s, key, lists);
                }
            }
        }
        _ => {}
    }
}

fn string_pattern_object(o: &mut utoipa::openapi::schema::Object, pattern: &str) {
    // A file's bytes (format binary) are not text: no character rule applies to them.
    let binary = matches!(
        o.format,
        Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
            utoipa::openapi::schema::KnownFormat::Binary
        ))
    );
    if is_string(&o.schema_type) && o.pattern.is_none() && o.enum_values.is_none() && !binary {
        o.pattern = Some(pattern.to_string());
    }
}

/// The component names an operation's request body and responses refer to directly.
fn collect_op_refs(op: &Operation, req: &mut BTreeSet<String>, resp: &mut BTreeSet<String>) {
    if let Some(body) = &op.request_body {
        for c in body.content.values() {
            if let Some(s) = &c.schema {
                refs_in(s, req);
            }
        }
    }
    for r in op.responses.responses.values() {
        if let RefOr::T(r) = r {
            for c in r.content.values() {
                if let Some(s) = &c.schema {
                    refs_in(s, resp);
                }
            }
        }
    }
}

/// Every `#/components/schemas/X` a schema refers to, at any depth (not following refs).
fn refs_in(schema: &RefOr<Schema>, out: &mut BTreeSet<String>) {
    // Serialising finds refs in every kind of schema without matching on each.
    let json = serde_json::to_value(schema).unwrap_or_default();
    let mut stack = vec![&json];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                    if let Some(name) = r.strip_prefix("#/components/schemas/") {
                        out.insert(name.to_string());
                    }
                }
                stack.extend(map.values());
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
}

/// The names reachable from `start` through component references.
fn closure(
    schemas: &std::collections::BTreeMap<String, RefOr<Schema>>,
    start: BTreeSet<String>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = start.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(s) = schemas.get(&name) {
            let mut found = BTreeSet::new();
            refs_in(s, &mut found);
            todo.extend(found.into_iter().filter(|n| !seen.contains(n)));
        }
    }
    seen
}
