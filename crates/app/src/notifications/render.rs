//! Turning a notice's facts into words: the built-in templates
//! (`clearway_formats::notifications::Templates`), loaded once per process. Rendering fails
//! closed when a required disclosure is missing; the engine and the sender record that as the
//! message's failure instead of sending.

use std::sync::OnceLock;

use clearway_core::notifications::NoticeContext;
use clearway_formats::notifications::{RenderedNotice, Templates};

/// The templates every notice is rendered with.
fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(Templates::builtin)
}

/// Renders `ctx` in its locale.
pub fn render(ctx: &NoticeContext) -> Result<RenderedNotice, String> {
    templates().render(ctx).map_err(|e| e.to_string())
}
