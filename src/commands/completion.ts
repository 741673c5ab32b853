/**
 * `dlq completion bash|zsh|fish`: prints a completion script for that shell, built from the CLI's
 * own command definitions (passed in as a CommandNode by cli.ts), so every command and flag
 * completes the moment it exists.
 */
import { bashScript } from '../completion/bash-script.js';
import type { CommandNode } from '../completion/command-tree.js';
import { fishScript } from '../completion/fish-script.js';
import { zshScript } from '../completion/zsh-script.js';
import { ExitCode, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { SHELLS, type Shell } from '../completion/shells.js';

const MAKERS: Record<Shell, (program: CommandNode, version: string) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export interface CompletionOptions {
  shell: string;
  /** The CLI as completion sees it (see describeCommand). */
  program: CommandNode;
  version: string;
}

export async function completionCommand(options: CompletionOptions, io: Io): Promise<number> {
  if (!(SHELLS as readonly string[]).includes(options.shell)) {
    throw new UsageError(`completion: '${options.shell}' is not one of ${SHELLS.join(', ')}`);
  }
  io.stdout.write(MAKERS[options.shell as Shell](options.program, options.version));
  return ExitCode.ok;
}
