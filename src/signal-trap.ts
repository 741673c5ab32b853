/**
 * SIGINT/SIGTERM handling for commands that must save what they have before leaving: the first
 * signal asks the command to stop (an AbortSignal), a second one leaves at once. Exit codes follow
 * the shell convention 128 + signal number: 130 for SIGINT, 143 for SIGTERM.
 */
export type SignalName = 'SIGINT' | 'SIGTERM';

export const SIGNAL_EXIT: Readonly<Record<SignalName, number>> = { SIGINT: 130, SIGTERM: 143 };

export interface SignalSource {
  on(event: SignalName, listener: () => void): unknown;
  off(event: SignalName, listener: () => void): unknown;
}

export interface SignalTrap {
  /** Aborted by the first signal, with the signal's name as the reason. */
  readonly signal: AbortSignal;
  /** The first signal caught, if any. */
  caught(): SignalName | undefined;
  /** Removes the handlers (always call it, in a finally). */
  release(): void;
}

export function trapSignals(options: {
  onFirst?: (name: SignalName) => void;
  signals?: SignalSource;
  forceExit?: (code: number) => void;
} = {}): SignalTrap {
  const signals = options.signals ?? process;
  const forceExit = options.forceExit ?? ((code: number) => process.exit(code));
  const controller = new AbortController();
  let caught: SignalName | undefined;
  const on = (name: SignalName) => () => {
    if (caught !== undefined) {
      forceExit(SIGNAL_EXIT[name]);
      return;
    }
    caught = name;
    options.onFirst?.(name);
    controller.abort(name);
  };
  const handlers = { SIGINT: on('SIGINT'), SIGTERM: on('SIGTERM') };
  signals.on('SIGINT', handlers.SIGINT);
  signals.on('SIGTERM', handlers.SIGTERM);
  return {
    signal: controller.signal,
    caught: () => caught,
    release: () => {
      signals.off('SIGINT', handlers.SIGINT);
      signals.off('SIGTERM', handlers.SIGTERM);
    },
  };
}
