// Generated from src/session/model.ts by `npm run schema`; do not edit.
/**
 * JSON Schema (draft-07) for the session document and the index entry, derived from the one
 * model in model.ts. Plain data, so importing it does not load zod.
 */

export const sessionSchema = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "schema_version": {
      "type": "number",
      "const": 1,
      "description": "Version of this format."
    },
    "id": {
      "type": "string",
      "maxLength": 128,
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
      "description": "Unique per session and safe as a storage key segment."
    },
    "trace_id": {
      "type": "string",
      "pattern": "^[0-9a-f]{32}$",
      "description": "OpenTelemetry trace id."
    },
    "root_span_id": {
      "description": "Span id of the session's root span.",
      "type": "string",
      "pattern": "^[0-9a-f]{16}$"
    },
    "conversation_id": {
      "description": "Conversation id from the agent runtime (e.g. the Claude session id).",
      "type": "string"
    },
    "revision": {
      "type": "integer",
      "minimum": 1,
      "description": "1 on first write; + 1 each time the stored document is rewritten (late spans re-assembled, or another trace of the same session merged in)."
    },
    "status": {
      "type": "string",
      "enum": [
        "ok",
        "error",
        "incomplete"
      ],
      "description": "`ok`, `error` (the agent failed), or `incomplete` (spans were missing or cut by limits)."
    },
    "status_reason": {
      "description": "Why the status is not ok: error reason or what made it incomplete.",
      "type": "string"
    },
    "error_type": {
      "description": "When the run itself failed: the class of its error (`error.type` on the root span, else its exception's type), e.g. `rate_limit_error`, `TimeoutError`.",
      "type": "string"
    },
    "agent": {
      "$ref": "#/definitions/agent"
    },
    "service": {
      "description": "OpenTelemetry service.name; when the producer set none (the SDK's default `unknown_service:…`), the agent name.",
      "type": "string"
    },
    "environment": {
      "description": "Deployment environment (`prod`, `staging`, ...).",
      "type": "string"
    },
    "tags": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "description": "Tags the caller attached."
    },
    "metadata": {
      "type": "object",
      "propertyNames": {
        "type": "string"
      },
      "additionalProperties": {
        "type": [
          "string",
          "number",
          "boolean"
        ]
      },
      "description": "Free-form key/value pairs the caller attached (team, customer, ...)."
    },
    "model": {
      "description": "Main model used.",
      "type": "string"
    },
    "system_prompt": {
      "description": "The system prompt the agent ran with, when captured (`gen_ai.system_instructions` on the root span; Claude Code: its `system_prompt` event).",
      "type": "string"
    },
    "models": {
      "type": "object",
      "propertyNames": {
        "type": "string"
      },
      "additionalProperties": {
        "$ref": "#/definitions/model_entry"
      },
      "description": "Usage and cost per model, keyed by the model that answered (`request_model` inside when it was asked for under another name)."
    },
    "started_at": {
      "type": "string",
      "format": "date-time",
      "description": "ISO 8601 UTC time."
    },
    "ended_at": {
      "type": "string",
      "format": "date-time",
      "description": "ISO 8601 UTC time."
    },
    "totals": {
      "$ref": "#/definitions/totals"
    },
    "spans": {
      "$ref": "#/definitions/span_counts"
    },
    "traces": {
      "description": "Present only when the session spans several traces (e.g. one per Claude Code interaction sharing a session id): one entry per trace, in order of start. Then `trace_id` and `root_span_id` are the first trace's, status, times, totals, models and span counts are combined over all, and every top-level event carries its `trace_id`.",
      "type": "array",
      "items": {
        "$ref": "#/definitions/session_trace"
      }
    },
    "events": {
      "type": "array",
      "items": {
        "$ref": "#/definitions/event"
      },
      "description": "What happened, in order; subagents nest their own events. In a document of several traces, each trace's events in time order, traces in order of start."
    }
  },
  "required": [
    "schema_version",
    "id",
    "trace_id",
    "revision",
    "status",
    "agent",
    "tags",
    "metadata",
    "models",
    "started_at",
    "ended_at",
    "totals",
    "spans",
    "events"
  ],
  "additionalProperties": false,
  "$id": "https://ams-otel.dev/schema/session.v1.json",
  "title": "ams-otel session",
  "description": "One agent session: the contract between every capture path and every reader.",
  "definitions": {
    "agent": {
      "type": "object",
      "properties": {
        "name": {
          "type": "string",
          "description": "Agent name."
        },
        "version": {
          "description": "Agent version.",
          "type": "string"
        }
      },
      "required": [
        "name"
      ],
      "additionalProperties": false,
      "description": "The agent that ran."
    },
    "model_entry": {
      "type": "object",
      "properties": {
        "input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens NOT read from or written to the prompt cache (Anthropic's `input_tokens` meaning), whichever producer counted them: producers whose count includes the cache (OpenAI's `prompt_tokens`, OpenInference's `llm.token_count.prompt`, the GenAI `gen_ai.usage.input_tokens` of the Anthropic SDK's own spans, LangChain's `usage_metadata`) have the cache counts taken out. All input tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens."
        },
        "output_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Output tokens (thinking included)."
        },
        "cache_read_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens read from the prompt cache; not part of input_tokens."
        },
        "cache_creation_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens written to the prompt cache; not part of input_tokens."
        },
        "cost_usd": {
          "anyOf": [
            {
              "type": "number",
              "minimum": 0
            },
            {
              "type": "null"
            }
          ],
          "description": "Cost in US dollars: the sum of the known costs of this model's calls; null (unknown, never 0) when none of its calls had a cost."
        },
        "cost_partial": {
          "description": "Present (true) when cost_usd is a sum of known costs that leaves out model calls with no cost of their own (neither the producer nor a run total gave one): the real cost is higher. Absent when every call was priced, or when cost_usd is null.",
          "type": "boolean",
          "const": true
        },
        "request_model": {
          "description": "The name the model was asked for, when it answered under another (`gpt-4o-mini` for `gpt-4o-mini-2024-07-18`): one entry per model, not one per name.",
          "type": "string"
        }
      },
      "required": [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "cost_usd"
      ],
      "additionalProperties": false,
      "description": "Token counts and cost for one model, keyed by the name that answered."
    },
    "totals": {
      "type": "object",
      "properties": {
        "input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens NOT read from or written to the prompt cache (Anthropic's `input_tokens` meaning), whichever producer counted them: producers whose count includes the cache (OpenAI's `prompt_tokens`, OpenInference's `llm.token_count.prompt`, the GenAI `gen_ai.usage.input_tokens` of the Anthropic SDK's own spans, LangChain's `usage_metadata`) have the cache counts taken out. All input tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens."
        },
        "output_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Output tokens (thinking included)."
        },
        "cache_read_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens read from the prompt cache; not part of input_tokens."
        },
        "cache_creation_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens written to the prompt cache; not part of input_tokens."
        },
        "cost_usd": {
          "anyOf": [
            {
              "type": "number",
              "minimum": 0
            },
            {
              "type": "null"
            }
          ],
          "description": "Cost in US dollars (see sources.cost_usd): the producer's own run total when it gave one, else the sum of the known per-call costs; null (unknown, never 0) when no call and no run total had a cost. See cost_partial."
        },
        "cost_partial": {
          "description": "Present (true) when cost_usd is a sum of known costs that leaves out model calls with no cost of their own (neither the producer nor a run total gave one): the real cost is higher. Absent when every call was priced, or when cost_usd is null.",
          "type": "boolean",
          "const": true
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "description": "Model calls (llm_message events), or the runtime's own turn count."
        },
        "tool_calls": {
          "type": "integer",
          "minimum": 0,
          "description": "Tool calls, subagents' included."
        },
        "subagents": {
          "type": "integer",
          "minimum": 0,
          "description": "Subagents run."
        },
        "errors": {
          "type": "integer",
          "minimum": 0,
          "description": "Failed model calls, tool calls, subagents and steps (failure events are not counted again)."
        },
        "duration_ms": {
          "type": "number",
          "minimum": 0,
          "description": "Wall-clock duration of the session, in whole milliseconds."
        },
        "api_duration_ms": {
          "type": "number",
          "minimum": 0,
          "description": "Time spent in model calls (their summed durations), or the runtime's own figure."
        },
        "sources": {
          "$ref": "#/definitions/totals_sources"
        },
        "event_sums": {
          "description": "Present when the runtime's figures differ from the sum over events: the event sums, so the difference is shown rather than hidden.",
          "allOf": [
            {
              "$ref": "#/definitions/model_usage"
            }
          ]
        }
      },
      "required": [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "cost_usd",
        "turns",
        "tool_calls",
        "subagents",
        "errors",
        "duration_ms",
        "api_duration_ms",
        "sources"
      ],
      "additionalProperties": false,
      "description": "Figures for the whole session, subagents included."
    },
    "totals_sources": {
      "type": "object",
      "properties": {
        "tokens": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        },
        "cost_usd": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        },
        "turns": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        },
        "duration_ms": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        },
        "api_duration_ms": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        }
      },
      "additionalProperties": false,
      "description": "For each figure that did not come from summing events, who reported it."
    },
    "model_usage": {
      "type": "object",
      "properties": {
        "input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens NOT read from or written to the prompt cache (Anthropic's `input_tokens` meaning), whichever producer counted them: producers whose count includes the cache (OpenAI's `prompt_tokens`, OpenInference's `llm.token_count.prompt`, the GenAI `gen_ai.usage.input_tokens` of the Anthropic SDK's own spans, LangChain's `usage_metadata`) have the cache counts taken out. All input tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens."
        },
        "output_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Output tokens (thinking included)."
        },
        "cache_read_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens read from the prompt cache; not part of input_tokens."
        },
        "cache_creation_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens written to the prompt cache; not part of input_tokens."
        },
        "cost_usd": {
          "anyOf": [
            {
              "type": "number",
              "minimum": 0
            },
            {
              "type": "null"
            }
          ],
          "description": "Cost in US dollars: the sum of the known costs of this model's calls; null (unknown, never 0) when none of its calls had a cost."
        },
        "cost_partial": {
          "description": "Present (true) when cost_usd is a sum of known costs that leaves out model calls with no cost of their own (neither the producer nor a run total gave one): the real cost is higher. Absent when every call was priced, or when cost_usd is null.",
          "type": "boolean",
          "const": true
        }
      },
      "required": [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "cost_usd"
      ],
      "additionalProperties": false,
      "description": "Token counts and cost for one model."
    },
    "span_counts": {
      "type": "object",
      "properties": {
        "kept": {
          "type": "integer",
          "minimum": 0,
          "description": "Spans that made it into the document."
        },
        "dropped": {
          "type": "integer",
          "minimum": 0,
          "description": "Spans that were seen but dropped (limits, orphans, ...)."
        }
      },
      "required": [
        "kept",
        "dropped"
      ],
      "additionalProperties": false,
      "description": "How many spans the document was built from."
    },
    "session_trace": {
      "type": "object",
      "properties": {
        "trace_id": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$",
          "description": "OpenTelemetry trace id."
        },
        "root_span_id": {
          "description": "Span id of the session's root span.",
          "type": "string",
          "pattern": "^[0-9a-f]{16}$"
        },
        "conversation_id": {
          "description": "Conversation id from the agent runtime (e.g. the Claude session id).",
          "type": "string"
        },
        "revision": {
          "type": "integer",
          "minimum": 1,
          "description": "1 on first write; + 1 each time the stored document is rewritten (late spans re-assembled, or another trace of the same session merged in)."
        },
        "status": {
          "type": "string",
          "enum": [
            "ok",
            "error",
            "incomplete"
          ],
          "description": "`ok`, `error` (the agent failed), or `incomplete` (spans were missing or cut by limits)."
        },
        "status_reason": {
          "description": "Why the status is not ok: error reason or what made it incomplete.",
          "type": "string"
        },
        "error_type": {
          "description": "When the run itself failed: the class of its error (`error.type` on the root span, else its exception's type), e.g. `rate_limit_error`, `TimeoutError`.",
          "type": "string"
        },
        "agent": {
          "$ref": "#/definitions/agent"
        },
        "service": {
          "description": "OpenTelemetry service.name; when the producer set none (the SDK's default `unknown_service:…`), the agent name.",
          "type": "string"
        },
        "environment": {
          "description": "Deployment environment (`prod`, `staging`, ...).",
          "type": "string"
        },
        "tags": {
          "type": "array",
          "items": {
            "type": "string"
          },
          "description": "Tags the caller attached."
        },
        "metadata": {
          "type": "object",
          "propertyNames": {
            "type": "string"
          },
          "additionalProperties": {
            "type": [
              "string",
              "number",
              "boolean"
            ]
          },
          "description": "Free-form key/value pairs the caller attached (team, customer, ...)."
        },
        "model": {
          "description": "Main model used.",
          "type": "string"
        },
        "system_prompt": {
          "description": "The system prompt the agent ran with, when captured (`gen_ai.system_instructions` on the root span; Claude Code: its `system_prompt` event).",
          "type": "string"
        },
        "models": {
          "type": "object",
          "propertyNames": {
            "type": "string"
          },
          "additionalProperties": {
            "$ref": "#/definitions/model_entry"
          },
          "description": "Usage and cost per model, keyed by the model that answered (`request_model` inside when it was asked for under another name)."
        },
        "started_at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "ended_at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "totals": {
          "$ref": "#/definitions/totals"
        },
        "spans": {
          "$ref": "#/definitions/span_counts"
        }
      },
      "required": [
        "trace_id",
        "revision",
        "status",
        "agent",
        "tags",
        "metadata",
        "models",
        "started_at",
        "ended_at",
        "totals",
        "spans"
      ],
      "additionalProperties": false,
      "description": "One trace (one interaction) of a session that spans several: the header its own document had. `revision` is that trace's own revision (a re-sent interaction with a higher one replaces it); the session's fields are combined from these."
    },
    "event": {
      "oneOf": [
        {
          "$ref": "#/definitions/user_prompt_event"
        },
        {
          "$ref": "#/definitions/llm_message_event"
        },
        {
          "$ref": "#/definitions/tool_call_event"
        },
        {
          "$ref": "#/definitions/subagent_event"
        },
        {
          "$ref": "#/definitions/notification_event"
        },
        {
          "$ref": "#/definitions/failure_event"
        },
        {
          "$ref": "#/definitions/step_event"
        }
      ],
      "description": "One thing that happened, told by its `type`."
    },
    "user_prompt_event": {
      "type": "object",
      "properties": {
        "type": {
          "type": "string",
          "const": "user_prompt",
          "description": "Always `user_prompt`."
        },
        "span_id": {
          "type": "string",
          "description": "Span id the event came from (span events share their span's id)."
        },
        "trace_id": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$",
          "description": "Trace (interaction) the event came from: set on the top-level events of a document that spans several traces (see `traces`), absent otherwise."
        },
        "at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "prompt": {
          "type": "string",
          "description": "The prompt text."
        },
        "synthetic": {
          "description": "True for prompts the runtime injected (not typed by the user).",
          "type": "boolean"
        }
      },
      "required": [
        "type",
        "at",
        "prompt"
      ],
      "additionalProperties": false,
      "description": "A prompt given to the agent."
    },
    "llm_message_event": {
      "type": "object",
      "properties": {
        "type": {
          "type": "string",
          "const": "llm_message",
          "description": "Always `llm_message`."
        },
        "span_id": {
          "type": "string",
          "description": "Span id the event came from (span events share their span's id)."
        },
        "trace_id": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$",
          "description": "Trace (interaction) the event came from: set on the top-level events of a document that spans several traces (see `traces`), absent otherwise."
        },
        "at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "ended_at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "duration_ms": {
          "type": "number",
          "minimum": 0,
          "description": "Duration of the call, in whole milliseconds (as every duration in the document)."
        },
        "model": {
          "description": "Model that answered.",
          "type": "string"
        },
        "response_id": {
          "description": "Provider's response id.",
          "type": "string"
        },
        "thinking": {
          "description": "Extended thinking, when captured.",
          "type": "string"
        },
        "thinking_redacted": {
          "description": "True when the model thought but the producer withheld the text (Claude Code sends `<REDACTED>`): `thinking` is then absent, not the placeholder.",
          "type": "boolean"
        },
        "text": {
          "description": "Text the model wrote.",
          "type": "string"
        },
        "tool_uses": {
          "description": "Tools the model asked to call.",
          "type": "array",
          "items": {
            "$ref": "#/definitions/tool_use_part"
          }
        },
        "finish_reasons": {
          "description": "Why the model stopped, as the producer reported it (`end_turn`, `tool_use` from Anthropic's stop_reason; OpenLLMetry maps them to `stop`, `tool_call`, ...).",
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "usage": {
          "description": "Token counts of this call; absent when the producer reported none (unknown, never a row of zeros). Beside reported counts, one left out (e.g. no cache counts) is 0: the producer had none of that kind.",
          "allOf": [
            {
              "$ref": "#/definitions/usage"
            }
          ]
        },
        "cost_usd": {
          "description": "Cost of this call in US dollars; absent when unknown.",
          "type": "number",
          "minimum": 0
        },
        "cost_source": {
          "type": "string",
          "enum": [
            "producer",
            "price_table",
            "unknown"
          ],
          "description": "Where cost_usd came from: `producer` (the telemetry carried it), `price_table` (computed from the tokens with your prices or the bundled table, docs/cost.md), `unknown` (no cost_usd: never $0). Absent in documents written before it existed."
        },
        "cost_reporter": {
          "description": "With `cost_source: producer`, who reported the cost when not the model call's own span (e.g. `claude_code.api_request`, the Claude Code CLI's log event).",
          "type": "string"
        },
        "priced_as": {
          "description": "With `cost_source: price_table`, the price applied: `override:<key>` (your prices) or `genai-prices:<provider>/<model>` (the bundled table).",
          "type": "string"
        },
        "ttft_ms": {
          "description": "Time to the first token, in whole milliseconds, when the producer measured it.",
          "type": "number",
          "minimum": 0
        },
        "error": {
          "description": "Error message, or null when it succeeded.",
          "type": [
            "string",
            "null"
          ]
        },
        "error_type": {
          "description": "Class of the error when it failed (`error.type`, else the exception's type: `TimeoutError`, `tool_error`, `rate_limit_error`, ...).",
          "type": "string"
        },
        "truncated": {
          "type": "object",
          "propertyNames": {
            "type": "string"
          },
          "additionalProperties": {
            "type": "integer",
            "minimum": 0
          },
          "description": "Attribute name -> original size, for values the instrumentation cut short."
        }
      },
      "required": [
        "type",
        "at",
        "ended_at",
        "duration_ms"
      ],
      "additionalProperties": false,
      "description": "One model call."
    },
    "tool_use_part": {
      "type": "object",
      "properties": {
        "id": {
          "description": "Tool use id (matches a tool_call's tool_use_id).",
          "type": "string"
        },
        "name": {
          "type": "string",
          "description": "Tool name."
        },
        "input": {
          "description": "Arguments the model gave.",
          "allOf": [
            {
              "$ref": "#/definitions/json_value"
            }
          ]
        }
      },
      "required": [
        "name"
      ],
      "additionalProperties": false,
      "description": "A tool call the model asked for."
    },
    "json_value": {
      "description": "Any JSON value.",
      "anyOf": [
        {
          "type": "string"
        },
        {
          "type": "number"
        },
        {
          "type": "boolean"
        },
        {
          "type": "null"
        },
        {
          "type": "array",
          "items": {
            "$ref": "#/definitions/json_value"
          }
        },
        {
          "type": "object",
          "propertyNames": {
            "type": "string"
          },
          "additionalProperties": {
            "$ref": "#/definitions/json_value"
          }
        }
      ]
    },
    "usage": {
      "type": "object",
      "properties": {
        "input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens NOT read from or written to the prompt cache (Anthropic's `input_tokens` meaning), whichever producer counted them: producers whose count includes the cache (OpenAI's `prompt_tokens`, OpenInference's `llm.token_count.prompt`, the GenAI `gen_ai.usage.input_tokens` of the Anthropic SDK's own spans, LangChain's `usage_metadata`) have the cache counts taken out. All input tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens."
        },
        "output_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Output tokens (thinking included)."
        },
        "cache_read_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens read from the prompt cache; not part of input_tokens."
        },
        "cache_creation_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens written to the prompt cache; not part of input_tokens."
        }
      },
      "required": [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens"
      ],
      "additionalProperties": false,
      "description": "Token counts, one meaning whatever the producer (input_tokens excludes the cache counts); a count no producer reported is 0."
    },
    "tool_call_event": {
      "type": "object",
      "properties": {
        "type": {
          "type": "string",
          "const": "tool_call",
          "description": "Always `tool_call`."
        },
        "span_id": {
          "type": "string",
          "description": "Span id the event came from (span events share their span's id)."
        },
        "trace_id": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$",
          "description": "Trace (interaction) the event came from: set on the top-level events of a document that spans several traces (see `traces`), absent otherwise."
        },
        "tool_use_id": {
          "description": "Id linking the call to the model's tool_uses.",
          "type": "string"
        },
        "name": {
          "type": "string",
          "description": "Tool name."
        },
        "input": {
          "description": "Tool input.",
          "allOf": [
            {
              "$ref": "#/definitions/json_value"
            }
          ]
        },
        "result": {
          "description": "Tool result.",
          "allOf": [
            {
              "$ref": "#/definitions/json_value"
            }
          ]
        },
        "error": {
          "description": "Error message, or null when it succeeded. A call whose own span reports no error but whose execution (its last child span that is not a model call, tool call or agent) failed shows that error.",
          "type": [
            "string",
            "null"
          ]
        },
        "error_type": {
          "description": "Class of the error when it failed (`error.type`, else the exception's type: `TimeoutError`, `tool_error`, `rate_limit_error`, ...).",
          "type": "string"
        },
        "status": {
          "type": "string",
          "enum": [
            "ok",
            "error",
            "interrupted"
          ],
          "description": "`interrupted` when the run ended before the tool did."
        },
        "mcp_server": {
          "description": "MCP server the tool belongs to.",
          "type": "string"
        },
        "permission_decision": {
          "description": "Permission decision for the call (`accept`, `reject`, ...), when the runtime reports it.",
          "type": [
            "string",
            "null"
          ]
        },
        "permission_source": {
          "description": "Who decided (`config`, `user`, `hook`, ...).",
          "type": [
            "string",
            "null"
          ]
        },
        "blocked_ms": {
          "description": "Time the call waited on the permission decision (blocked on the user), in whole milliseconds.",
          "anyOf": [
            {
              "type": "number",
              "minimum": 0
            },
            {
              "type": "null"
            }
          ]
        },
        "truncated": {
          "type": "object",
          "propertyNames": {
            "type": "string"
          },
          "additionalProperties": {
            "type": "integer",
            "minimum": 0
          },
          "description": "Attribute name -> original size, for values the instrumentation cut short."
        },
        "started_at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "ended_at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "duration_ms": {
          "type": "number",
          "minimum": 0,
          "description": "Duration of the call, in whole milliseconds (as every duration in the document)."
        }
      },
      "required": [
        "type",
        "name",
        "error",
        "status",
        "started_at",
        "ended_at",
        "duration_ms"
      ],
      "additionalProperties": false,
      "description": "One tool call."
    },
    "subagent_event": {
      "type": "object",
      "properties": {
        "type": {
          "type": "string",
          "const": "subagent",
          "description": "Always `subagent`."
        },
        "span_id": {
          "type": "string",
          "description": "Span id the event came from (span events share their span's id)."
        },
        "trace_id": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$",
          "description": "Trace (interaction) the event came from: set on the top-level events of a document that spans several traces (see `traces`), absent otherwise."
        },
        "agent_id": {
          "description": "Subagent id given by the runtime.",
          "type": "string"
        },
        "agent_type": {
          "description": "Subagent type (e.g. `general-purpose`).",
          "type": "string"
        },
        "name": {
          "description": "Subagent name.",
          "type": "string"
        },
        "why": {
          "description": "Why it ran: the prompt it was given.",
          "type": "string"
        },
        "description": {
          "description": "Short description of its task.",
          "type": "string"
        },
        "transcript_path": {
          "description": "Path of its transcript file, when known.",
          "type": "string"
        },
        "tool_use_id": {
          "description": "Tool call that started it.",
          "type": "string"
        },
        "status": {
          "type": "string",
          "enum": [
            "ok",
            "error",
            "incomplete"
          ],
          "description": "`ok`, `error` (the agent failed), or `incomplete` (spans were missing or cut by limits)."
        },
        "error": {
          "description": "Error message, or null when it succeeded.",
          "type": [
            "string",
            "null"
          ]
        },
        "error_type": {
          "description": "Class of the error when it failed (`error.type`, else the exception's type: `TimeoutError`, `tool_error`, `rate_limit_error`, ...).",
          "type": "string"
        },
        "started_at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "ended_at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "duration_ms": {
          "type": "number",
          "minimum": 0,
          "description": "Duration of the subagent run, in whole milliseconds."
        },
        "events": {
          "type": "array",
          "items": {
            "$ref": "#/definitions/event"
          },
          "description": "What the subagent did, nested."
        }
      },
      "required": [
        "type",
        "status",
        "started_at",
        "ended_at",
        "duration_ms",
        "events"
      ],
      "additionalProperties": false,
      "description": "A subagent run, with its own events nested."
    },
    "notification_event": {
      "type": "object",
      "properties": {
        "type": {
          "type": "string",
          "const": "notification",
          "description": "Always `notification`."
        },
        "span_id": {
          "type": "string",
          "description": "Span id the event came from (span events share their span's id)."
        },
        "trace_id": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$",
          "description": "Trace (interaction) the event came from: set on the top-level events of a document that spans several traces (see `traces`), absent otherwise."
        },
        "at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "message": {
          "type": "string",
          "description": "The message."
        },
        "kind": {
          "description": "Kind of notification (status, warning, ...).",
          "type": "string"
        }
      },
      "required": [
        "type",
        "at",
        "message"
      ],
      "additionalProperties": false,
      "description": "A status message or warning from the runtime."
    },
    "failure_event": {
      "type": "object",
      "properties": {
        "type": {
          "type": "string",
          "const": "failure",
          "description": "Always `failure`."
        },
        "span_id": {
          "type": "string",
          "description": "Span id the event came from (span events share their span's id)."
        },
        "trace_id": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$",
          "description": "Trace (interaction) the event came from: set on the top-level events of a document that spans several traces (see `traces`), absent otherwise."
        },
        "at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "category": {
          "type": "string",
          "enum": [
            "tool",
            "model",
            "retrieval",
            "orchestration"
          ],
          "description": "What failed (the failure taxonomy)."
        },
        "code": {
          "type": "string",
          "description": "Short machine code: `timeout`, `schema`, `rate_limit`, `http_503`, `error`, ..."
        },
        "message": {
          "description": "Human-readable message.",
          "type": "string"
        },
        "error_type": {
          "description": "Class of the error when it failed (`error.type`, else the exception's type: `TimeoutError`, `tool_error`, `rate_limit_error`, ...).",
          "type": "string"
        },
        "step": {
          "description": "Name of the step it belongs to.",
          "type": "string"
        },
        "attempt": {
          "description": "Attempt number of that step, for retries.",
          "type": "integer",
          "minimum": 1
        }
      },
      "required": [
        "type",
        "at",
        "category",
        "code"
      ],
      "additionalProperties": false,
      "description": "A classified failure (`recordFailure()` or a failed generic step). Informational: totals.errors counts failed spans, not these, so a failure recorded on a failed span is not counted twice."
    },
    "step_event": {
      "type": "object",
      "properties": {
        "type": {
          "type": "string",
          "const": "step",
          "description": "Always `step`."
        },
        "span_id": {
          "type": "string",
          "description": "Span id the event came from (span events share their span's id)."
        },
        "trace_id": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$",
          "description": "Trace (interaction) the event came from: set on the top-level events of a document that spans several traces (see `traces`), absent otherwise."
        },
        "name": {
          "type": "string",
          "description": "Span name."
        },
        "kind": {
          "type": "string",
          "enum": [
            "internal",
            "server",
            "client",
            "producer",
            "consumer"
          ],
          "description": "Span kind."
        },
        "status": {
          "type": "string",
          "enum": [
            "ok",
            "error"
          ]
        },
        "error": {
          "description": "Error message, or null when it succeeded.",
          "type": [
            "string",
            "null"
          ]
        },
        "error_type": {
          "description": "Class of the error when it failed (`error.type`, else the exception's type: `TimeoutError`, `tool_error`, `rate_limit_error`, ...).",
          "type": "string"
        },
        "attributes": {
          "type": "object",
          "propertyNames": {
            "type": "string"
          },
          "additionalProperties": {
            "$ref": "#/definitions/json_value"
          },
          "description": "The span's attributes."
        },
        "started_at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "ended_at": {
          "type": "string",
          "format": "date-time",
          "description": "ISO 8601 UTC time."
        },
        "duration_ms": {
          "type": "number",
          "minimum": 0,
          "description": "Duration of the span, in whole milliseconds."
        },
        "events": {
          "description": "Events of child spans, nested.",
          "type": "array",
          "items": {
            "$ref": "#/definitions/event"
          }
        }
      },
      "required": [
        "type",
        "name",
        "kind",
        "status",
        "attributes",
        "started_at",
        "ended_at",
        "duration_ms"
      ],
      "additionalProperties": false,
      "description": "Any other span: kept so a session never misses what happened."
    }
  }
} as const;

export const sessionIndexSchema = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "schema_version": {
      "type": "number",
      "const": 1,
      "description": "Version of this format."
    },
    "id": {
      "type": "string",
      "maxLength": 128,
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
      "description": "Unique per session and safe as a storage key segment."
    },
    "trace_id": {
      "type": "string",
      "pattern": "^[0-9a-f]{32}$",
      "description": "OpenTelemetry trace id."
    },
    "conversation_id": {
      "description": "Conversation id from the agent runtime (e.g. the Claude session id).",
      "type": "string"
    },
    "revision": {
      "type": "integer",
      "minimum": 1,
      "description": "1 on first write; + 1 each time the stored document is rewritten (late spans re-assembled, or another trace of the same session merged in)."
    },
    "status": {
      "type": "string",
      "enum": [
        "ok",
        "error",
        "incomplete"
      ],
      "description": "`ok`, `error` (the agent failed), or `incomplete` (spans were missing or cut by limits)."
    },
    "agent": {
      "$ref": "#/definitions/agent"
    },
    "environment": {
      "description": "Deployment environment (`prod`, `staging`, ...).",
      "type": "string"
    },
    "tags": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "description": "Tags the caller attached."
    },
    "metadata": {
      "type": "object",
      "propertyNames": {
        "type": "string"
      },
      "additionalProperties": {
        "type": [
          "string",
          "number",
          "boolean"
        ]
      },
      "description": "Free-form key/value pairs the caller attached (team, customer, ...)."
    },
    "model": {
      "description": "Main model used.",
      "type": "string"
    },
    "started_at": {
      "type": "string",
      "format": "date-time",
      "description": "ISO 8601 UTC time."
    },
    "ended_at": {
      "type": "string",
      "format": "date-time",
      "description": "ISO 8601 UTC time."
    },
    "totals": {
      "$ref": "#/definitions/totals"
    },
    "prompt_preview": {
      "description": "First user prompt, cut to a short preview.",
      "type": "string"
    },
    "key": {
      "type": "string",
      "description": "Storage key of the full document."
    },
    "errors": {
      "type": "integer",
      "minimum": 0,
      "description": "The session's failed calls: totals.errors, repeated at the top for filters. `status` `ok` with errors > 0 = the agent recovered from failed calls; `status` `error` = the run itself failed. (Entries written by versions before it lack the four failure fields: readers fall back to totals.errors and treat the lists as empty.)"
    },
    "failed_tools": {
      "maxItems": 20,
      "type": "array",
      "items": {
        "type": "string",
        "maxLength": 128
      },
      "description": "Distinct names of the tool calls that failed (subagents' and steps' included), in order of first failure; at most 20 names of at most 128 characters. Empty when none failed."
    },
    "failure_categories": {
      "maxItems": 4,
      "type": "array",
      "items": {
        "type": "string",
        "enum": [
          "tool",
          "model",
          "retrieval",
          "orchestration"
        ],
        "description": "What failed (the failure taxonomy)."
      },
      "description": "Distinct failure categories: those of the `failure` events, and for a failed call no failure event describes, the category its kind implies (tool call: `tool`, model call: `model`, a step of kind `retrieval`: `retrieval`, other steps and subagents that failed on their own: `orchestration`). Empty when nothing failed or only the run itself did."
    },
    "failure_codes": {
      "maxItems": 20,
      "type": "array",
      "items": {
        "type": "string",
        "maxLength": 128
      },
      "description": "Distinct failure codes, in order of first occurrence: the `code` of the `failure` events, and for a failed call no failure event describes, its `error_type` (else `error`). At most 20 codes of at most 128 characters."
    }
  },
  "required": [
    "schema_version",
    "id",
    "trace_id",
    "revision",
    "status",
    "agent",
    "tags",
    "metadata",
    "started_at",
    "ended_at",
    "totals",
    "key",
    "errors",
    "failed_tools",
    "failure_categories",
    "failure_codes"
  ],
  "additionalProperties": false,
  "$id": "https://ams-otel.dev/schema/session-index.v1.json",
  "title": "ams-otel session index entry",
  "description": "A compact projection of a session: one line of an index segment under `{prefix}/index/dt=…/hour=…/` (or, in the `per-session` layout, one small file `{prefix}/index/{id}.json`).",
  "definitions": {
    "agent": {
      "type": "object",
      "properties": {
        "name": {
          "type": "string",
          "description": "Agent name."
        },
        "version": {
          "description": "Agent version.",
          "type": "string"
        }
      },
      "required": [
        "name"
      ],
      "additionalProperties": false,
      "description": "The agent that ran."
    },
    "totals": {
      "type": "object",
      "properties": {
        "input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens NOT read from or written to the prompt cache (Anthropic's `input_tokens` meaning), whichever producer counted them: producers whose count includes the cache (OpenAI's `prompt_tokens`, OpenInference's `llm.token_count.prompt`, the GenAI `gen_ai.usage.input_tokens` of the Anthropic SDK's own spans, LangChain's `usage_metadata`) have the cache counts taken out. All input tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens."
        },
        "output_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Output tokens (thinking included)."
        },
        "cache_read_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens read from the prompt cache; not part of input_tokens."
        },
        "cache_creation_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens written to the prompt cache; not part of input_tokens."
        },
        "cost_usd": {
          "anyOf": [
            {
              "type": "number",
              "minimum": 0
            },
            {
              "type": "null"
            }
          ],
          "description": "Cost in US dollars (see sources.cost_usd): the producer's own run total when it gave one, else the sum of the known per-call costs; null (unknown, never 0) when no call and no run total had a cost. See cost_partial."
        },
        "cost_partial": {
          "description": "Present (true) when cost_usd is a sum of known costs that leaves out model calls with no cost of their own (neither the producer nor a run total gave one): the real cost is higher. Absent when every call was priced, or when cost_usd is null.",
          "type": "boolean",
          "const": true
        },
        "turns": {
          "type": "integer",
          "minimum": 0,
          "description": "Model calls (llm_message events), or the runtime's own turn count."
        },
        "tool_calls": {
          "type": "integer",
          "minimum": 0,
          "description": "Tool calls, subagents' included."
        },
        "subagents": {
          "type": "integer",
          "minimum": 0,
          "description": "Subagents run."
        },
        "errors": {
          "type": "integer",
          "minimum": 0,
          "description": "Failed model calls, tool calls, subagents and steps (failure events are not counted again)."
        },
        "duration_ms": {
          "type": "number",
          "minimum": 0,
          "description": "Wall-clock duration of the session, in whole milliseconds."
        },
        "api_duration_ms": {
          "type": "number",
          "minimum": 0,
          "description": "Time spent in model calls (their summed durations), or the runtime's own figure."
        },
        "sources": {
          "$ref": "#/definitions/totals_sources"
        },
        "event_sums": {
          "description": "Present when the runtime's figures differ from the sum over events: the event sums, so the difference is shown rather than hidden.",
          "allOf": [
            {
              "$ref": "#/definitions/model_usage"
            }
          ]
        }
      },
      "required": [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "cost_usd",
        "turns",
        "tool_calls",
        "subagents",
        "errors",
        "duration_ms",
        "api_duration_ms",
        "sources"
      ],
      "additionalProperties": false,
      "description": "Figures for the whole session, subagents included."
    },
    "totals_sources": {
      "type": "object",
      "properties": {
        "tokens": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        },
        "cost_usd": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        },
        "turns": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        },
        "duration_ms": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        },
        "api_duration_ms": {
          "type": "string",
          "enum": [
            "events",
            "sdk",
            "reported"
          ],
          "description": "Where a total came from: `events` = summed from the events; `sdk` = reported by the agent runtime (e.g. the Claude Agent SDK's own cost estimate); `reported` = set on the root span by other instrumentation."
        }
      },
      "additionalProperties": false,
      "description": "For each figure that did not come from summing events, who reported it."
    },
    "model_usage": {
      "type": "object",
      "properties": {
        "input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens NOT read from or written to the prompt cache (Anthropic's `input_tokens` meaning), whichever producer counted them: producers whose count includes the cache (OpenAI's `prompt_tokens`, OpenInference's `llm.token_count.prompt`, the GenAI `gen_ai.usage.input_tokens` of the Anthropic SDK's own spans, LangChain's `usage_metadata`) have the cache counts taken out. All input tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens."
        },
        "output_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Output tokens (thinking included)."
        },
        "cache_read_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens read from the prompt cache; not part of input_tokens."
        },
        "cache_creation_input_tokens": {
          "type": "number",
          "minimum": 0,
          "description": "Input tokens written to the prompt cache; not part of input_tokens."
        },
        "cost_usd": {
          "anyOf": [
            {
              "type": "number",
              "minimum": 0
            },
            {
              "type": "null"
            }
          ],
          "description": "Cost in US dollars: the sum of the known costs of this model's calls; null (unknown, never 0) when none of its calls had a cost."
        },
        "cost_partial": {
          "description": "Present (true) when cost_usd is a sum of known costs that leaves out model calls with no cost of their own (neither the producer nor a run total gave one): the real cost is higher. Absent when every call was priced, or when cost_usd is null.",
          "type": "boolean",
          "const": true
        }
      },
      "required": [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "cost_usd"
      ],
      "additionalProperties": false,
      "description": "Token counts and cost for one model."
    }
  }
} as const;
