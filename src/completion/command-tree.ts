/**
 * What shell completion needs to know about the CLI, read from commander's own definitions at run
 * time (never a hand-kept list): every command (nested ones too), its visible options with the
 * options of its ancestors (commander accepts program options after a command name), which
 * options take a value, the choices commander validates (`.choices()`), and which values are
 * file paths.
 */
import type { Command, Option } from 'commander';

export interface OptionNode {
  /** `-q`, `--quiet`: every spelling. */
  names: string[];
  takesValue: boolean;
  /** commander's argChoices: the only values the option accepts. */
  choices: readonly string[];
  /** The value is a file path, so the shell should complete file names. */
  path: boolean;
  description: string;
}

export interface CommandNode {
  name: string;
  aliases: string[];
  description: string;
  /** Its own options and those of its ancestors. */
  options: OptionNode[];
  commands: CommandNode[];
  /** Choices of its first positional argument, e.g. `dlq completion <shell>`. */
  argChoices: readonly string[];
}

/**
 * A value is a path when the placeholder says so: `<path>`, `<file>`, `<dir>`, or a name built on
 * file/dir such as `<file.json>` or `<routes-file>`. Option names are never hard-coded here, so
 * options other commands add later complete as their placeholder says.
 */
export function isPathPlaceholder(placeholder: string): boolean {
  return /^(path|file|dir|directory)$/i.test(placeholder) || /(^|[-_.])(file|dir)([-_.]|$)/i.test(placeholder);
}

function describeOption(option: Option): OptionNode {
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? '';
  const takesValue = option.required || option.optional;
  return {
    names: [option.short, option.long].filter((n): n is string => typeof n === 'string'),
    takesValue,
    choices: option.argChoices ?? [],
    path: takesValue && isPathPlaceholder(placeholder.replace(/\.\.\.$/, '')),
    description: option.description,
  };
}

export function describeCommand(cmd: Command, inherited: OptionNode[] = []): CommandNode {
  const help = cmd.createHelp();
  // visibleOptions adds the help option (and leaves out hidden ones) as --help shows them.
  const own = help.visibleOptions(cmd).map(describeOption);
  const options = [...own, ...inherited.filter((o) => !o.names.some((n) => own.some((p) => p.names.includes(n))))];
  // Ancestors' options stay valid in subcommands (--color); --help is each command's own, and
  // --version, though accepted anywhere, is only worth offering on the program itself.
  const passDown = options.filter((o) => !o.names.includes('--help') && !o.names.includes('--version'));
  const commands = help.visibleCommands(cmd).map((sub) => {
    const node = describeCommand(sub, passDown);
    // commander's implicit `help [command]` is not in cmd.commands; its argument is a command name.
    if (!cmd.commands.includes(sub)) node.argChoices = cmd.commands.map((c) => c.name());
    return node;
  });
  return {
    name: cmd.name(),
    aliases: cmd.aliases(),
    description: cmd.description(),
    options,
    commands,
    argChoices: cmd.registeredArguments[0]?.argChoices ?? [],
  };
}
