/** Running the receiver: startReceiver() creates one and listens (`ams receiver` is cli/commands/receiver.ts). */
import { createReceiver } from './app.js';
import type { ListeningReceiver, ReceiverApp } from './app.js';
import type { ReceiverOptions } from './options.js';

export interface RunningReceiver extends ListeningReceiver {
  receiver: ReceiverApp;
  stop(): Promise<void>;
}

/** Creates a receiver and listens (host/port from options, env, or 127.0.0.1:4319). */
export async function startReceiver(options: ReceiverOptions = {}): Promise<RunningReceiver> {
  const receiver = createReceiver(options);
  const listening = await receiver.start();
  return { ...listening, receiver, stop: () => receiver.stop() };
}
