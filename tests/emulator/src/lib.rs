//! Local Amazon Bedrock emulator.
