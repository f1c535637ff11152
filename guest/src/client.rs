//! TEMPORARY stub until settings/auth/converse land: every call answers `unsupported`.
use crate::api::*;
use crate::error::{ErrorKind, ProviderError, Result};
use crate::transport::Transport;

/// A configured provider.
pub struct Client;

/// A streamed answer.
pub struct ChatStream;

impl ChatStream {
    /// The next part.
    pub fn next_part(&mut self) -> Result<Option<StreamPart>> {
        Ok(None)
    }
}

fn todo_err() -> ProviderError {
    ProviderError::new(ErrorKind::Unsupported, "not implemented yet")
}

/// The settings JSON Schema.
pub fn settings_schema() -> &'static str {
    "{}"
}

impl Client {
    /// Parses settings.
    pub fn open(_settings: &str) -> Result<Client> {
        Ok(Client)
    }
    /// Chat.
    pub fn generate(&self, _t: &dyn Transport, _r: GenerateRequest) -> Result<GenerateResponse> {
        Err(todo_err())
    }
    /// Streamed chat.
    pub fn stream(&self, _t: &dyn Transport, _r: GenerateRequest) -> Result<ChatStream> {
        Err(todo_err())
    }
    /// Re-rank.
    pub fn rerank(&self, _t: &dyn Transport, _r: RerankRequest) -> Result<RerankResponse> {
        Err(todo_err())
    }
    /// Check.
    pub fn check(&self, _t: &dyn Transport) -> Result<CheckReport> {
        Err(todo_err())
    }
}
