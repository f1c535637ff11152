//! Files attached with `--file`: read when the command line is parsed, typed by extension.

use std::path::{Path, PathBuf};

/// Image extensions and the Bedrock format each maps to.
pub(super) const IMAGE_EXTENSIONS: &[(&str, &str)] =
    &[("png", "png"), ("jpg", "jpeg"), ("jpeg", "jpeg"), ("gif", "gif"), ("webp", "webp")];
/// Document extensions (each is its own Bedrock format).
pub(super) const DOCUMENT_EXTENSIONS: &[&str] =
    &["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"];
/// Bedrock's longest document name.
pub(super) const MAX_DOCUMENT_NAME: usize = 200;

/// A file given with `--file`: read when the command line is parsed, typed by its extension.
#[derive(Clone)]
pub struct Attachment {
    /// The path as given.
    pub path: PathBuf,
    /// `image` or `document` and its Bedrock format.
    pub kind: AttachmentKind,
    /// The file's content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    // The content can be megabytes: show its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// What an attached file is sent as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentKind {
    /// An image in this format (`png`, `jpeg`, `gif`, `webp`).
    Image(String),
    /// A document in this format, under a name that follows Bedrock's document-name rules.
    Document {
        /// `pdf`, `csv`, ...
        format: String,
        /// Derived from the file name.
        name: String,
    },
}

pub(super) fn parse_attachment(path: &str) -> Result<Attachment, String> {
    let path = PathBuf::from(path);
    let extension = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    let kind = match extension.as_deref() {
        None => return Err(format!("`{}` has no file extension; {}", path.display(), KNOWN_FILES)),
        Some(ext) => {
            if let Some((_, format)) = IMAGE_EXTENSIONS.iter().find(|(e, _)| *e == ext) {
                AttachmentKind::Image((*format).to_string())
            } else if DOCUMENT_EXTENSIONS.contains(&ext) {
                AttachmentKind::Document { format: ext.to_string(), name: document_name(&path) }
            } else {
                return Err(format!("unsupported file type `.{ext}`; {KNOWN_FILES}"));
            }
        }
    };
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(Attachment { path, kind, bytes })
}

pub(super) const KNOWN_FILES: &str = "use png, jpg, jpeg, gif or webp for images, or pdf, csv, doc, docx, \
xls, xlsx, html, txt or md for documents";

/// The file name without its extension, made a valid Bedrock document name: ASCII letters,
/// digits, hyphens, parentheses and square brackets kept, anything else a single space.
pub(super) fn document_name(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mapped: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '(' | ')' | '[' | ']') {
                c
            } else {
                ' '
            }
        })
        .collect();
    let name = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
    let name: String = name.chars().take(MAX_DOCUMENT_NAME).collect();
    match name.trim_end() {
        "" => "document".to_string(),
        name => name.to_string(),
    }
}

/// Bedrock refuses two documents of the same name in a request: number the repeats.
pub(super) fn unique_name(name: &str, used: &mut Vec<String>) -> String {
    let mut candidate = name.to_string();
    let mut n = 2;
    while used.contains(&candidate) {
        let suffix = format!(" ({n})");
        let base: String = name.chars().take(MAX_DOCUMENT_NAME - suffix.len()).collect();
        candidate = format!("{}{suffix}", base.trim_end());
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}
