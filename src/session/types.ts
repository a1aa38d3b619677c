/**
 * The session document's TypeScript types, derived from the one model in model.ts. Only types are
 * imported from there (erased at build), so importing this module does not load zod.
 */
import type { z } from 'zod';
import type * as m from './model.js';

export const SCHEMA_VERSION = 1 as const;

export type SessionStatus = z.infer<typeof m.SessionStatusModel>;
export type JsonValue = z.infer<typeof m.JsonValueModel>;
export type Usage = z.infer<typeof m.UsageModel>;
export type ModelUsage = z.infer<typeof m.ModelUsageModel>;
/** One entry of `Session.models`: usage and cost, and the requested name when it differs. */
export type ModelEntry = z.infer<typeof m.ModelEntryModel>;
/** Where a total came from (see the model). */
export type TotalsSource = z.infer<typeof m.TotalsSourceModel>;
export type Totals = z.infer<typeof m.TotalsModel>;
export type SpanCounts = z.infer<typeof m.SpanCountsModel>;
export type ToolUsePart = z.infer<typeof m.ToolUsePartModel>;
export type UserPromptEvent = z.infer<typeof m.UserPromptEventModel>;
export type LlmMessageEvent = z.infer<typeof m.LlmMessageEventModel>;
export type ToolCallEvent = z.infer<typeof m.ToolCallEventModel>;
export type SubagentEvent = z.infer<typeof m.SubagentEventModel>;
export type NotificationEvent = z.infer<typeof m.NotificationEventModel>;
export type FailureCategory = z.infer<typeof m.FailureCategoryModel>;
export type FailureEvent = z.infer<typeof m.FailureEventModel>;
export type StepEvent = z.infer<typeof m.StepEventModel>;
export type SessionEvent = z.infer<typeof m.SessionEventModel>;
export type AgentInfo = z.infer<typeof m.AgentInfoModel>;
export type Session = z.infer<typeof m.SessionModel>;
/** One trace of a session that spans several (`Session.traces`): the header that trace's own document had. */
export type SessionTrace = z.infer<typeof m.SessionTraceModel>;
/** A compact projection of a session: one line of an index segment under `{prefix}/index/dt=…/hour=…/` (or, in the `per-session` layout, one small file `{prefix}/index/{id}.json`). */
export type SessionIndexEntry = z.infer<typeof m.SessionIndexEntryModel>;
