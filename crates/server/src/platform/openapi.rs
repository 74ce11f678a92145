//! The OpenAPI document of the whole API, served at `/api/openapi.json`, with a docs page at
//! `/api/docs` (see `docs.rs`).

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::Required;
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::distributions::dto;
use crate::http::{FieldErrorView, Problem};
use crate::{distributions, events, payments, platform, reconciliation, reinvestment};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Clearway Distributions API", description = "Declare, allocate, approve, process and reverse investment-fund distributions."),
    paths(
        distributions::routes::create, distributions::routes::list, distributions::routes::list_by_fund,
        distributions::routes::get_one, distributions::routes::update, distributions::routes::lines,
        distributions::routes::line, distributions::routes::update_line, distributions::routes::ready,
        distributions::routes::approve, distributions::routes::process, distributions::routes::cancel,
        distributions::routes::reverse, distributions::routes::reallocate,
        events::routes::create, events::routes::list, events::routes::remove, events::routes::enable, events::routes::events,
        platform::routes::healthz, platform::routes::readyz, platform::routes::metrics_text,
        platform::routes::audit_log, platform::routes::list_funds, platform::routes::list_investors,
    ),
    components(schemas(
        dto::DistributionRequest, dto::ClassGroupView, dto::AllocationRequest, dto::LineRequest, dto::DistributionView, dto::LineView,
        dto::ReversalRequest, dto::ReversalView, dto::ReallocationView, Problem, FieldErrorView,
        events::routes::WebhookRequest, events::routes::WebhookCreated, platform::routes::Health,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The media type of every error answer (`http::problem`).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The whole API document: the core paths above plus each capability's own, with the answers
/// the shared machinery gives (auth, extractors, storage) added to every operation that can
/// reach them, so handlers list only what is their own.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(reinvestment::ApiDoc::openapi());
    doc.merge(crate::waterfall::ApiDoc::openapi());
    doc.merge(crate::funds::ApiDoc::openapi());
    doc.merge(payments::ApiDoc::openapi());
    doc.merge(reconciliation::ApiDoc::openapi());
    doc.merge(crate::recovery::ApiDoc::openapi());
    doc.merge(crate::access::ApiDoc::openapi());
    doc.merge(crate::capital::ApiDoc::openapi());
    doc.merge(crate::inkind::ApiDoc::openapi());
    doc.merge(crate::schedules::ApiDoc::openapi());
    doc.merge(crate::notifications::preferences::ApiDoc::openapi());
    doc.merge(crate::notifications::inbox::ApiDoc::openapi());
    doc.merge(crate::notifications::messages::ApiDoc::openapi());
    doc.merge(crate::notifications::webhooks::ApiDoc::openapi());
    doc.merge(crate::documents::ApiDoc::openapi());
    doc.merge(crate::tax::k1::ApiDoc::openapi());
    doc.merge(crate::tax::recharacterize::ApiDoc::openapi());
    doc.merge(crate::tax::years::ApiDoc::openapi());
    doc.merge(crate::tax::forms::ApiDoc::openapi());
    doc.merge(crate::tax::fire::ApiDoc::openapi());
    doc.merge(crate::tax::profiles::ApiDoc::openapi());
    doc.merge(crate::tax::rates::ApiDoc::openapi());
    doc.merge(crate::tax::liability::ApiDoc::openapi());
    doc.merge(crate::forecast::ApiDoc::openapi());
    doc.merge(crate::sync::ApiDoc::openapi());
    for_each_operation(&mut doc, |writes, op| {
        idempotency_key_grammar(op);
        optional_bodies(op);
        problems_as_problem_json(op);
        add_standard_errors(op, writes);
    });
    super::input_rules::apply(&mut doc);
    doc
}

/// Calls `f` on every operation of `doc`, with whether it writes (anything but GET).
pub(super) fn for_each_operation(
    doc: &mut utoipa::openapi::OpenApi,
    mut f: impl FnMut(bool, &mut Operation),
) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            (false, &mut item.get),
            (true, &mut item.put),
            (true, &mut item.post),
            (true, &mut item.delete),
            (true, &mut item.patch),
        ];
        for (writes, op) in ops {
            if let Some(op) = op.as_mut() {
                f(writes, op);
            }
        }
    }
}

/// The `Idempotency-Key` header's grammar, as `http::idempotency` checks it (1 to 255 visible
/// ASCII characters; otherwise 422), declared once here rather than on every handler.
fn idempotency_key_grammar(op: &mut Operation) {
    for param in op.parameters.iter_mut().flatten() {
        if param.parameter_in == ParameterIn::Header && param.name == "Idempotency-Key" {
            let schema = ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[!-~]{1,255}$"))
                .build();
            param.schema = Some(schema.into());
        }
    }
}

/// utoipa renders `request_body = Option<T>` as a required body that may be `null`; the server
/// means "may be left out" and refuses a body that is not a JSON object, so the document says
/// not required, and `T` when sent.
fn optional_bodies(op: &mut Operation) {
    let Some(body) = op.request_body.as_mut() else {
        return;
    };
    for content in body.content.values_mut() {
        let Some(RefOr::T(Schema::OneOf(one))) = &content.schema else {
            continue;
        };
        let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
        if let [a, b] = one.items.as_slice() {
            let sent = match (is_null(a), is_null(b)) {
                (true, false) => b.clone(),
                (false, true) => a.clone(),
                _ => continue,
            };
            content.schema = Some(sent);
            body.required = Some(Required::False);
        }
    }
}

/// Handlers write `body = Problem`, which utoipa files under `application/json`; the server
/// answers every error as `application/problem+json`, so the document says that.
fn problems_as_problem_json(op: &mut Operation) {
    for response in op.responses.responses.values_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let is_problem = response.content.get("application/json").is_some_and(
            |c| matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")),
        );
        if is_problem {
            if let Some(content) = response.content.shift_remove("application/json") {
                response.content.insert(PROBLEM_JSON.into(), content);
            }
        }
    }
}

/// The statuses an operation can get from the shared layers, by what it takes:
/// - a bearer token: 401 (none or unknown), 403 (the role may not);
/// - any parameter or body: 400 (malformed query or JSON), 422 (a value refused), and 404
///   (an id in the path, query or body names nothing visible);
/// - a body: 413 (over the limit), and 415 when it must be JSON;
/// - a write: 409 (a conflict, an illegal transition, a stale version);
/// - storage: 500 (logged, never detailed).
fn add_standard_errors(op: &mut Operation, writes: bool) {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_params = op.parameters.as_ref().is_some_and(|p| {
        p.iter()
            .any(|p| matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query))
    });
    let body = op.request_body.as_ref();
    let json_body = body.is_some_and(|b| b.content.keys().any(|k| k.ends_with("json")));
    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem_response(description));
    };
    if secured {
        add("401", "No bearer token, or an unknown or expired one");
        add("403", "The token's role may not do this");
    }
    if has_params || body.is_some() {
        add("400", "Malformed request (query string or JSON syntax)");
        add(
            "404",
            "Something the request names does not exist or is not visible",
        );
        add("422", "A value is refused; `field` and `errors` name it");
    }
    if body.is_some() {
        add("413", "The body is over the size limit");
    }
    if json_body {
        add("415", "The body is not `application/json`");
    }
    if writes && secured {
        add("409", "Conflict with the current state");
    }
    if secured || body.is_some() {
        add("500", "Internal error (logged, never detailed)");
    }
}

fn problem_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
        .into()
}
