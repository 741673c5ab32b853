/** Every command of the tree with its path of names below the program ([] for the program). */
import type { CommandNode } from './command-tree.js';

export interface CommandAt {
  path: string[];
  node: CommandNode;
}

export function walkCommands(node: CommandNode, path: string[] = []): CommandAt[] {
  return [{ path, node }, ...node.commands.flatMap((sub) => walkCommands(sub, [...path, sub.name]))];
}
