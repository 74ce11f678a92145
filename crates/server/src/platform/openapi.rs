//! The OpenAPI document of the whole API, served at `/api/openapi.json`, with a docs page
//! (Scalar, assets bundled in the binary) at `/api/docs`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
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
        distributions::routes::reverse,
        events::routes::create, events::routes::list, events::routes::remove, events::routes::enable, events::routes::events,
        platform::routes::healthz, platform::routes::readyz, platform::routes::metrics_text,
        platform::routes::audit_log, platform::routes::list_funds, platform::routes::list_investors,
    ),
    components(schemas(
        dto::DistributionRequest, dto::AllocationRequest, dto::LineRequest, dto::DistributionView, dto::LineView,
        dto::ReversalRequest, dto::ReversalView, Problem, FieldErrorView,
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

/// The whole API document: the core paths above plus each capability's own.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(reinvestment::ApiDoc::openapi());
    doc.merge(payments::ApiDoc::openapi());
    doc.merge(reconciliation::ApiDoc::openapi());
    doc.merge(crate::access::ApiDoc::openapi());
    doc
}
