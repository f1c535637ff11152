//! The settings' JSON Schema.

/// A JSON Schema (draft 2020-12) of the settings, for gateways that render the settings form
/// from the plugin. Secrets carry `"writeOnly": true`.
pub const SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Amazon Bedrock",
  "description": "Settings of the Amazon Bedrock provider. Authenticate with one of: an access key pair (SigV4), a Bedrock API key, or a credentials source the host application resolves; never mix them. Empty strings count as unset.",
  "type": "object",
  "additionalProperties": false,
  "required": ["region"],
  "properties": {
    "region": {
      "type": "string",
      "title": "Region",
      "description": "The AWS region where you use Bedrock.",
      "examples": ["us-east-1", "eu-central-1", "ap-northeast-1"]
    },
    "accessKeyId": {
      "type": "string",
      "title": "Access Key ID",
      "description": "The access key ID of an IAM user or role allowed to call bedrock:InvokeModel (upper-case letters and digits).",
      "examples": ["AKIAIOSFODNN7EXAMPLE"]
    },
    "secretAccessKey": {
      "type": "string",
      "title": "Secret Access Key",
      "description": "The secret access key paired with the access key ID.",
      "writeOnly": true,
      "examples": ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]
    },
    "sessionToken": {
      "type": "string",
      "title": "Session Token",
      "description": "Only for temporary credentials (access key IDs starting with ASIA): the session token issued with them.",
      "writeOnly": true,
      "examples": ["FQoGZXIvYXdzEXAMPLETOKEN"]
    },
    "apiKey": {
      "type": "string",
      "title": "Bedrock API Key",
      "description": "A Bedrock API key, sent as a bearer token instead of signing with an access key pair. Not accepted by the Rerank API (use rerankApi invoke-model).",
      "writeOnly": true,
      "examples": ["ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl"]
    },
    "credentials": {
      "title": "AWS Credentials Source",
      "description": "Instead of static keys: where the host application gets AWS credentials. \"default-chain\": the AWS SDKs' standard chain (environment, AWS_PROFILE and the shared config/credentials files with source_profile, role_arn, credential_process and IAM Identity Center (SSO), web identity (EKS IRSA), the container endpoint (ECS, EKS Pod Identity), EC2 instance metadata). {\"profile\": \"dev\"}: one profile of the shared files. {\"roleArn\": ...}: STS AssumeRole on top of the chain (or of \"profile\"). The host resolves the source, refreshes the temporary keys before they expire, and hands them to the component for each call; the component never reads files or the environment. Not allowed together with accessKeyId, secretAccessKey, sessionToken or apiKey.",
      "oneOf": [
        { "type": "string", "const": "default-chain", "title": "Standard credential chain" },
        {
          "type": "object",
          "title": "Profile",
          "additionalProperties": false,
          "required": ["profile"],
          "properties": {
            "profile": { "type": "string", "title": "Profile", "description": "A profile of ~/.aws/config or ~/.aws/credentials (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE).", "examples": ["dev"] }
          }
        },
        {
          "type": "object",
          "title": "Assume role",
          "additionalProperties": false,
          "required": ["roleArn"],
          "properties": {
            "roleArn": { "type": "string", "title": "Role ARN", "description": "The IAM role to assume.", "pattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", "examples": ["arn:aws:iam::123456789012:role/bedrock-invoke"] },
            "externalId": { "type": "string", "title": "External ID", "description": "The external ID the role's trust policy requires.", "minLength": 2, "maxLength": 1224, "examples": ["bedrock-gateway-7f3a"] },
            "sessionName": { "type": "string", "title": "Session name", "description": "The role session name (shows in CloudTrail).", "minLength": 2, "maxLength": 64, "pattern": "^[\\w+=,.@-]+$", "examples": ["bedrock-gateway"] },
            "durationSeconds": { "type": "integer", "title": "Session length", "description": "Seconds the assumed credentials last (refreshed before they expire).", "minimum": 900, "maximum": 43200, "default": 3600, "examples": [3600] },
            "profile": { "type": "string", "title": "Base profile", "description": "The profile whose credentials call AssumeRole; default: the standard chain.", "examples": ["dev"] }
          }
        }
      ],
      "examples": ["default-chain", { "profile": "dev" }, { "roleArn": "arn:aws:iam::123456789012:role/bedrock-invoke", "sessionName": "bedrock-gateway" }]
    },
    "baseUrl": {
      "type": "string",
      "title": "Base URL",
      "description": "Optional: send requests to this URL (e.g. a gateway) instead of the region's Bedrock Runtime endpoint. https only; plain http only to localhost, 127.0.0.0/8 or [::1]. No user info (no @; write %40 in a path), query or fragment.",
      "format": "uri",
      "examples": ["https://ai-gateway.example.com/bedrock", "http://127.0.0.1:4000"]
    },
    "agentRuntimeBaseUrl": {
      "type": "string",
      "title": "Agent Runtime Base URL",
      "description": "Optional: where Rerank requests go, instead of baseUrl or the region's Agents for Bedrock Runtime endpoint. Same rules as baseUrl.",
      "format": "uri",
      "examples": ["https://ai-gateway.example.com/bedrock-agent"]
    },
    "controlPlaneBaseUrl": {
      "type": "string",
      "title": "Control Plane Base URL",
      "description": "Optional: where Bedrock control-plane requests go, instead of baseUrl or the region's Bedrock endpoint. Same rules as baseUrl.",
      "format": "uri",
      "examples": ["https://ai-gateway.example.com/bedrock-control"]
    },
    "headers": {
      "type": "object",
      "title": "Headers",
      "description": "Optional extra headers sent with every request (not signed), e.g. to authenticate with a gateway. Authorization, Host, Content-Type, Content-Length, hop-by-hop headers and X-Amz-* are reserved.",
      "propertyNames": { "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
      "additionalProperties": { "type": "string" },
      "writeOnly": true,
      "examples": [{ "X-Custom-Header": "custom-value" }]
    },
    "languageModel": {
      "type": "string",
      "title": "Language Model",
      "description": "The default chat model: amazon-bedrock|<model ID>, a bare model ID, an inference-profile ID or an ARN.",
      "examples": ["amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0"]
    },
    "rerankingModel": {
      "type": "string",
      "title": "Reranking Model",
      "description": "The default re-ranking model.",
      "examples": ["amazon-bedrock|cohere.rerank-v3-5:0", "amazon-bedrock|amazon.rerank-v1:0"]
    },
    "embeddingModel": {
      "type": "string",
      "title": "Embedding Model",
      "description": "The default embedding model.",
      "examples": ["amazon-bedrock|amazon.titan-embed-text-v2:0", "amazon-bedrock|cohere.embed-v4:0"]
    },
    "rerankApi": {
      "type": "string",
      "title": "Rerank API",
      "description": "rerank: the Agents for Bedrock Runtime Rerank API (needs an access key pair). invoke-model: the model's native InvokeModel API (works with API keys). Unset: chosen automatically.",
      "enum": ["rerank", "invoke-model", ""],
      "examples": ["rerank"]
    },
    "maxAttempts": {
      "type": "integer",
      "title": "Max Attempts",
      "description": "Attempts per call for retryable failures, the first one included.",
      "minimum": 1,
      "maximum": 10,
      "default": 3,
      "examples": [3]
    },
    "timeouts": {
      "type": "object",
      "title": "Timeouts",
      "description": "Client-side deadlines in milliseconds.",
      "additionalProperties": false,
      "properties": {
        "connectMs": { "type": "integer", "title": "Connect", "description": "Establishing the connection.", "minimum": 1, "maximum": 86400000, "default": 10000, "examples": [10000] },
        "firstByteMs": { "type": "integer", "title": "First byte", "description": "From sending the request to the first response byte.", "minimum": 1, "maximum": 86400000, "default": 60000, "examples": [60000] },
        "betweenBytesMs": { "type": "integer", "title": "Between bytes", "description": "Between two chunks of the response body.", "minimum": 1, "maximum": 86400000, "default": 30000, "examples": [30000] },
        "totalMs": { "type": "integer", "title": "Total", "description": "A whole call, retries included.", "minimum": 1, "maximum": 86400000, "default": 300000, "examples": [300000] }
      },
      "examples": [{ "connectMs": 10000, "firstByteMs": 60000, "betweenBytesMs": 30000, "totalMs": 300000 }]
    },
    "inferenceProfile": {
      "type": "string",
      "title": "Inference Profile",
      "description": "auto: send base model IDs through the region's cross-region inference profile (e.g. us.<model ID> in us-east-1). off: send model IDs as configured.",
      "enum": ["off", "auto", ""],
      "default": "off",
      "examples": ["auto"]
    }
  }
}"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::{Value, json};

    use super::*;
    use crate::settings::test_support::*;
    use crate::settings::{KEYS, SECRET_KEYS, TIMEOUT_KEYS};

    #[test]
    fn schema_lists_exactly_the_accepted_keys() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        let props = schema["properties"].as_object().unwrap();
        let mut in_schema: Vec<&str> = props.keys().map(String::as_str).collect();
        let mut accepted = KEYS.to_vec();
        in_schema.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(in_schema, accepted);
        let timeouts = props["timeouts"]["properties"].as_object().unwrap();
        let mut in_schema: Vec<&str> = timeouts.keys().map(String::as_str).collect();
        let mut accepted = TIMEOUT_KEYS.to_vec();
        in_schema.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(in_schema, accepted);
        for (key, prop) in props {
            for attr in ["title", "description", "examples"] {
                assert!(prop.get(attr).is_some(), "{key} lacks {attr}");
            }
            let secret = SECRET_KEYS.contains(&key.as_str());
            assert_eq!(prop.get("writeOnly") == Some(&json!(true)), secret, "{key}");
        }
        // Every example in the schema is itself accepted.
        let mut example = base();
        for (key, prop) in props {
            if !["accessKeyId", "secretAccessKey", "sessionToken", "apiKey", "credentials"]
                .contains(&key.as_str())
            {
                example[key] = prop["examples"][0].clone();
            }
        }
        ok(&example);
        // Each example of `credentials` is accepted in place of the static keys.
        for source in props["credentials"]["examples"].as_array().unwrap() {
            let mut example = example.clone();
            for key in ["accessKeyId", "secretAccessKey", "sessionToken", "apiKey"] {
                example.as_object_mut().unwrap().remove(key);
            }
            example["credentials"] = source.clone();
            ok(&example);
        }
    }
}
