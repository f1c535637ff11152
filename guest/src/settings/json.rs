//! Reading the settings JSON with `json_fields`, and turning its errors into `invalid-settings`
//! errors whose solution says what to store.

use json_fields::{FieldError, Fields, Problem};

use crate::error::{ProviderError, Result};

/// `field` could not be read: the error names the field and what to store there.
pub(super) fn invalid(e: FieldError) -> ProviderError {
    let field = e.path.as_str();
    match &e.problem {
        Problem::WrongType { expected, found } => ProviderError::settings(
            field,
            format!("`{field}` must be {expected}, but it is {found}."),
            format!("Store `{field}` as {expected} (see the settings schema)."),
        ),
        Problem::OutOfRange { expected, found } => ProviderError::settings(
            field,
            format!("`{field}` is {found}; it must be {expected}."),
            format!("Set `{field}` to {expected}."),
        ),
        Problem::Missing => ProviderError::settings(
            field,
            format!("`{field}` is missing."),
            format!("Set `{field}` (see the settings schema)."),
        ),
        Problem::UnknownKey { suggestion, known } => ProviderError::settings(
            field,
            format!("Unknown setting `{field}`."),
            match suggestion {
                Some(k) => format!("Did you mean `{k}`? Rename the key, or remove it."),
                None => format!(
                    "Remove it. Known keys: {}.",
                    known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ),
            },
        ),
    }
}

/// An optional string setting.
pub(super) fn opt_str<'a>(fields: &Fields<'a>, key: &str) -> Result<Option<&'a str>> {
    fields.opt_str(key).map_err(invalid)
}

/// An optional whole-number setting. A negative or fractional number gets its own message:
/// it is the right JSON type, so "store it as a whole number" would not help.
pub(super) fn opt_whole(fields: &Fields<'_>, key: &str) -> Result<Option<u64>> {
    fields.opt_u64(key).map_err(|e| match &e.problem {
        Problem::OutOfRange { found, .. } => {
            let field = &e.path;
            ProviderError::settings(
                field,
                format!("`{field}` is {found}; it must be a positive whole number."),
                format!(
                    "Set `{field}` to a whole number such as 3 or 10000, without a fraction or \
                     sign."
                ),
            )
        }
        _ => invalid(e),
    })
}
