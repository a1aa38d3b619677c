/**
 * The hook channel: the CLI calls these back in real time (their times are exact). Tool spans
 * start and end here, subagents are announced and stopped here, prompts and notifications are
 * recorded here.
 */
import type { HookEvent, HookInput } from '@anthropic-ai/claude-agent-sdk';
import * as sc from '../spans/semconv.js';
import { log } from './log.js';
import type { Run } from './run.js';
import type { Json } from './state.js';
import { AGENT_TOOLS, obj, s } from './state.js';

/** Hook events the tracer listens to. */
export const HOOK_EVENTS: HookEvent[] = [
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'SubagentStart',
  'SubagentStop',
  'Notification',
  'PermissionDenied',
];

/** UserPromptSubmit sources that a person did not type. */
const SYNTHETIC_SOURCES = new Set(['system', 'loop_wakeup', 'schedule_wakeup', 'poll_event']);

/** Records one hook call. Never throws. */
export function onHook(run: Run, input: HookInput, toolUseId: string | undefined): void {
  try {
    if (run.finished) return;
    const i = input as unknown as Json;
    const now = Date.now();
    const { agents, tools, chats } = run;
    run.noteConversation(s(i.session_id));
    const agent = agents.forHook(s(i.agent_id), s(i.agent_type), now);
    switch (i.hook_event_name) {
      case 'UserPromptSubmit': {
        const prompt = s(i.prompt) ?? '';
        chats.lastInput.set(agent === agents.root ? '' : (agent.toolUseId ?? agent.key), now);
        const synthetic = SYNTHETIC_SOURCES.has(String(i.source)) || prompt.trimStart().startsWith('<task-notification>');
        agent.span.addEvent(sc.EVENT_USER_PROMPT, run.emitter.promptEvent(prompt, synthetic), now);
        break;
      }
      case 'PreToolUse':
        tools.start(s(i.tool_use_id) ?? toolUseId ?? '', s(i.tool_name) ?? 'unknown', i.tool_input, agent, obj(i.mcp_server), now);
        break;
      case 'PostToolUse': {
        const id = s(i.tool_use_id) ?? toolUseId ?? '';
        const response = i.tool_response;
        if (AGENT_TOOLS.has(String(i.tool_name))) {
          const r = obj(response);
          const agentId = s(r?.agentId);
          if (agentId) agents.link(agents.byAgentId(agentId, now), id);
          if (r?.status === 'async_launched' || r?.isAsync === true) {
            const launched = agents.byToolUse.get(id);
            if (launched) launched.background = true;
          }
        }
        tools.end(id, { result: response }, now, { name: s(i.tool_name), input: i.tool_input, agent });
        break;
      }
      case 'PostToolUseFailure': {
        const id = s(i.tool_use_id) ?? toolUseId ?? '';
        const interrupted = i.is_interrupt === true;
        tools.end(id, { error: s(i.error) ?? 'tool failed', errorType: interrupted ? 'interrupted' : 'tool_error', interrupted }, now, {
          name: s(i.tool_name),
          input: i.tool_input,
          agent,
        });
        break;
      }
      case 'SubagentStart':
        // agents.forHook() created or found the subagent; its link to the Agent tool call comes
        // from the message stream (task_started) or the Agent tool's PostToolUse.
        break;
      case 'SubagentStop': {
        if (agent === agents.root) break;
        const path = s(i.agent_transcript_path);
        if (path) agent.span.setAttribute(sc.AMS_SUBAGENT_TRANSCRIPT_PATH, path);
        agent.stopped = true;
        agent.stoppedAt = now;
        // Read the final usage off the hook's path (never awaited here), then end the subagent's
        // spans with their recorded times.
        const finalize = () => {
          if (run.finished) return;
          chats.endAllOf(agent);
          agent.span.end(now);
        };
        if (path) void run.transcripts.load(agent, path).then(finalize);
        else {
          agent.usageLoad = 'done';
          finalize();
        }
        break;
      }
      case 'Notification': {
        const title = s(i.title);
        const message = s(i.message) ?? '';
        const text = title && !message.includes(title) ? `${title}: ${message}` : message;
        agent.span.addEvent(sc.EVENT_NOTIFICATION, run.emitter.notificationEvent(text, s(i.notification_type) ?? 'notification'), now);
        break;
      }
      case 'PermissionDenied':
        tools.notifyDenied(agent, s(i.tool_use_id) ?? '', s(i.tool_name) ?? 'tool', s(i.reason) ?? 'permission denied', now);
        break;
      default:
        break;
    }
  } catch (err) {
    log.error('hook failed', err);
  }
}
