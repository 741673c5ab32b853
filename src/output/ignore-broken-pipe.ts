/**
 * `dlq list --ids | head -1` closes the pipe early; without a listener Node turns the resulting
 * EPIPE into an uncaught exception with a stack trace. The reader has what it wanted, so stop
 * quietly: the remaining writes are dropped, the exit code stays as the command decides.
 */
import type { OutStream } from '../io.js';

interface ErrorEmitter {
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
  listenerCount(event: 'error'): number;
}

const installed = new WeakSet<object>();

export function ignoreBrokenPipe(stream: OutStream): void {
  const emitter = stream as unknown as Partial<ErrorEmitter>;
  if (typeof emitter.on !== 'function' || installed.has(stream)) return;
  installed.add(stream);
  emitter.on('error', (error) => {
    if (error.code === 'EPIPE') return;
    // Anything else is a real output failure: surface it as before.
    throw error;
  });
}
