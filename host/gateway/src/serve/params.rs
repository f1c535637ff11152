//! The request field at fault, in the client's vocabulary.
//!
//! The component names the field of *its* request that it refused (`settings.temperature`,
//! `messages[3].content[1]`, `toolChoice`, `responseFormat.schema.properties.tags.maxItems`).
//! A client knows only the request it sent, so each front records, while it maps a request,
//! which of its fields became which component field; [`ParamMap::translate`] turns the
//! component's field back into the client's (`temperature`, `messages[2].content[0]`,
//! `tool_choice`, `response_format.json_schema.schema.properties.tags.maxItems`). A field with
//! no rule is left out: naming no field is better than naming the wrong one.

/// Component field → request field rules, recorded while a front maps a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamMap {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    component: String,
    client: String,
    /// Whether what follows the component prefix is appended to the client field (schema
    /// paths are the same on both sides) or dropped (the component's own sub-fields, such as
    /// a document's `.name`, have no counterpart in the client's request).
    keep_suffix: bool,
}

impl ParamMap {
    /// `component` and everything under it is reported as `client`.
    pub fn exact(&mut self, component: impl Into<String>, client: impl Into<String>) {
        self.rules.push(Rule {
            component: component.into(),
            client: client.into(),
            keep_suffix: false,
        });
    }

    /// `component` is `client`, and `component.x[1]` is `client.x[1]`.
    pub fn tree(&mut self, component: impl Into<String>, client: impl Into<String>) {
        self.rules.push(Rule {
            component: component.into(),
            client: client.into(),
            keep_suffix: true,
        });
    }

    /// The request field for a component field: the rule with the longest component prefix
    /// that ends at a path boundary (`.`, `[` or the end), or `None` when no rule matches.
    pub fn translate(&self, field: &str) -> Option<String> {
        let rule = self
            .rules
            .iter()
            .filter(|r| {
                field.strip_prefix(r.component.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
                })
            })
            .max_by_key(|r| r.component.len())?;
        let rest = &field[rule.component.len()..];
        Some(if rule.keep_suffix { format!("{}{rest}", rule.client) } else { rule.client.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_rule_at_a_boundary_wins() {
        let mut map = ParamMap::default();
        map.exact("settings.temperature", "temperature");
        map.tree("messages", "messages");
        map.exact("messages[1]", "messages[1]");
        map.exact("messages[1].content[0]", "messages[1].content");
        map.tree("responseFormat.schema", "response_format.json_schema.schema");
        map.exact("toolChoice", "tool_choice");
        let rows = [
            ("settings.temperature", Some("temperature")),
            ("messages[1].content[0]", Some("messages[1].content")),
            ("messages[1].content[0].name", Some("messages[1].content")),
            ("messages[1].content[2]", Some("messages[1]")),
            ("messages[12]", Some("messages[12]")),
            ("messages", Some("messages")),
            (
                "responseFormat.schema.properties.tags.maxItems",
                Some("response_format.json_schema.schema.properties.tags.maxItems"),
            ),
            ("toolChoice", Some("tool_choice")),
            // `toolChoices` is not under `toolChoice`.
            ("toolChoices", None),
            ("region", None),
            ("settings.topP", None),
        ];
        for (field, want) in rows {
            assert_eq!(map.translate(field).as_deref(), want, "{field}");
        }
        assert_eq!(ParamMap::default().translate("messages"), None);
    }
}
