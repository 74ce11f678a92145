//! Turning a notice's facts into words: the built-in templates
//! (`clearway_formats::notifications::Templates`), loaded once per process. Rendering fails
//! closed when a required disclosure is missing; the engine and the sender record that as the
//! message's failure instead of sending.

use std::sync::OnceLock;

use clearway_core::notifications::NoticeContext;
use clearway_formats::notifications::{RenderedNotice, Templates};

static TEMPLATES: OnceLock<Templates> = OnceLock::new();

/// The templates every notice is rendered with: those installed at start, else the built-in.
fn templates() -> &'static Templates {
    TEMPLATES.get_or_init(Templates::builtin)
}

/// Installs the process's templates (built-in ones with an operator's overrides, already
/// checked at load by [`Templates::with_overrides`]). Returns false when templates were
/// already in use (installed, or a notice rendered first): the first ones stay.
pub fn install_templates(t: Templates) -> bool {
    TEMPLATES.set(t).is_ok()
}

/// Renders `ctx` in its locale.
pub fn render(ctx: &NoticeContext) -> Result<RenderedNotice, String> {
    templates().render(ctx).map_err(|e| e.to_string())
}
